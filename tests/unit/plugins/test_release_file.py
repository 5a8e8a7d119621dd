"""Release file names and cache directories for the upstream layouts the roles install from."""
import pytest

from ansible_collections.tda.monitoring.plugins.filter.release_file import release_file, release_stem


@pytest.mark.parametrize("arch, name, version, pattern, expected_file, expected_stem", [
    # the Prometheus projects' tarballs: unpacked, top directory inside
    ("amd64", "node_exporter", "1.9.0", "", "node_exporter-1.9.0.linux-amd64.tar.gz", "node_exporter-1.9.0.linux-amd64"),
    ("arm64", "prometheus", "v3.5.0", "", "prometheus-3.5.0.linux-arm64.tar.gz", "prometheus-3.5.0.linux-arm64"),
    # redis_exporter keeps the v in its file names
    ("amd64", "redis_exporter", "1.62.0", "{name}-v{version}.linux-{arch}.tar.gz",
     "redis_exporter-v1.62.0.linux-amd64.tar.gz", "redis_exporter-v1.62.0.linux-amd64"),
    # cAdvisor: a bare binary per architecture, a cache directory of its own
    ("arm64", "cadvisor", "0.49.2", "cadvisor-v{version}-linux-{arch}",
     "cadvisor-v0.49.2-linux-arm64", "cadvisor-v0.49.2-linux-arm64.d"),
    # a jar, the same for every architecture
    ("amd64", "jmx_prometheus_javaagent", "1.5.0", "jmx_prometheus_javaagent-{version}.jar",
     "jmx_prometheus_javaagent-1.5.0.jar", "jmx_prometheus_javaagent-1.5.0.jar.d"),
])
def test_release_names(arch, name, version, pattern, expected_file, expected_stem):
    assert release_file(arch, name, version, pattern) == expected_file
    assert release_stem(arch, name, version, pattern) == expected_stem


def test_every_architecture_gets_its_own_file():
    pattern = "cadvisor-v{version}-linux-{arch}"
    assert len({release_file(arch, "cadvisor", "0.49.2", pattern) for arch in ("amd64", "arm64", "armv7")}) == 3
