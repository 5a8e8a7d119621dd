"""The archive and offline install paths of node_exporter, against the scenario's mirror.

Tests run in order: install 1.5.0 through the proxy, upgrade to 1.11.1 keeping the textfile
directory, refuse a wrong checksum with the host unchanged, then install offline with the
mirror stopped.
"""
import hashlib
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, converge  # noqa: E402  pylint: disable=wrong-import-position


EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
MIRROR = os.path.join(PROJECT, ".cache", "mirror")
RELEASES = os.path.join(MIRROR, "node_exporter", "releases", "download")
# the mirror has 1.9.0 for amd64 only
AMD64_ONLY = '{"node_exporter_archive_prefetch_architectures": []}'


def version(host):
    out = host.run("/usr/local/bin/node_exporter --version 2>&1").stdout
    return re.search(r"version (\S+)", out).group(1)


def serves_metrics(host):
    return host.run("curl -fsS http://127.0.0.1:9100/metrics | grep -c '^node_cpu_seconds_total'").rc == 0


def test_installed_from_the_archive_and_running(host):
    assert version(host) == "1.5.0"
    assert host.service("node_exporter").is_running
    assert "ExecStart={ path=/usr/local/bin/node_exporter" in host.run("systemctl show node_exporter -p ExecStart").stdout
    assert serves_metrics(host)
    exposure = host.run("systemd-analyze security node_exporter --no-pager | tail -1").stdout
    print("archive install: " + exposure.strip())


def test_download_went_through_the_proxy():
    with open(os.path.join(EPHEMERAL, "mirror-state", "proxy.log")) as handle:
        log = handle.read()
    assert "/v1.5.0/sha256sums.txt" in log
    assert "/v1.5.0/node_exporter-1.5.0.linux-amd64.tar.gz" in log


def cached_archives(release):
    cache_root = os.path.join(EPHEMERAL, "cache", "node_exporter", release)
    archives = {}
    for root, _dirs, files in os.walk(cache_root):
        for name in files:
            if name.endswith(".tar.gz"):
                with open(os.path.join(root, name), "rb") as handle:
                    archives[name] = hashlib.sha256(handle.read()).hexdigest()
    return archives


def mirror_sums(release):
    with open(os.path.join(RELEASES, "v" + release, "sha256sums.txt")) as handle:
        return dict(reversed(line.split()) for line in handle if line.strip())


def test_second_architecture_verified_in_the_controller_cache():
    cached, expected = cached_archives("1.5.0"), mirror_sums("1.5.0")
    for arch in ("amd64", "arm64"):
        name = "node_exporter-1.5.0.linux-%s.tar.gz" % arch
        assert cached[name] == expected[name]


def test_upgrade_to_a_newer_version_than_debians(host):
    # check mode first: the new release is fetched and verified on the controller, nothing on the
    # host changes, and the upgrade's changed tasks (the binary, the restart) are predicted
    _check, out = assert_check_mode_predicts_the_real_run(
        host, ["-e", "archive_version=1.11.1"],
        ["/usr/local/bin/node_exporter", "/etc/node_exporter", "/etc/systemd/system/node_exporter.service"],
        ["node_exporter"])
    assert version(host) == "1.11.1"
    expected = {"node_exporter-1.11.1.linux-%s.tar.gz" % arch for arch in ("amd64", "arm64")}
    assert set(cached_archives("1.11.1")) == expected


def test_upgrade_keeps_the_textfile_directory(host):
    host.run("echo 'tda_upgrade_probe 7' > /var/lib/node_exporter/textfile/probe.prom")
    rc, out = converge("-e", "archive_version=1.5.0")  # back down, then up again: the file stays
    assert rc == 0, out[-2000:]
    rc, out = converge("-e", "archive_version=1.11.1")
    assert rc == 0, out[-2000:]
    assert version(host) == "1.11.1"
    assert host.file("/var/lib/node_exporter/textfile/probe.prom").exists
    assert "tda_upgrade_probe 7" in host.run("curl -fsS http://127.0.0.1:9100/metrics").stdout


@pytest.fixture
def bad_mirror(tmp_path):
    """A copy of the 1.9.0 release whose sha256sums.txt lies about the archive."""
    release = tmp_path / "v1.9.0"
    release.mkdir()
    archive = "node_exporter-1.9.0.linux-amd64.tar.gz"
    (release / archive).write_bytes(open(os.path.join(RELEASES, "v1.9.0", archive), "rb").read())
    (release / "sha256sums.txt").write_text("%s  %s\n" % ("0" * 64, archive))
    return str(release)


def test_wrong_checksum_fails_before_the_host_changes(host, bad_mirror):
    before = host.run("sha256sum /usr/local/bin/node_exporter /etc/systemd/system/node_exporter.service").stdout
    rc, out = converge("-e", "archive_version=1.9.0", "-e", "node_exporter_install_method=offline",
                       "-e", "node_exporter_offline_dir=%s" % bad_mirror, "-e", AMD64_ONLY)
    assert rc != 0
    assert "did not match" in out and "0" * 64 in out, out[-2000:]
    assert "node_exporter-1.9.0.linux-amd64.tar.gz" in out
    assert host.run("sha256sum /usr/local/bin/node_exporter /etc/systemd/system/node_exporter.service").stdout == before
    assert version(host) == "1.11.1" and serves_metrics(host)


def test_offline_install_with_the_mirror_stopped(host):
    subprocess.run(["python3", os.path.join(PROJECT, "molecule", "shared", "mirror", "serve.py"), "stop",
                    os.path.join(EPHEMERAL, "mirror-state")], check=True)
    rc, out = converge("-e", "archive_version=1.9.0", "-e", "node_exporter_install_method=offline",
                       "-e", "node_exporter_offline_dir=%s" % os.path.join(RELEASES, "v1.9.0"),
                       "-e", "node_exporter_archive_cache_dir=%s" % os.path.join(EPHEMERAL, "offline-cache"),
                       "-e", AMD64_ONLY)
    assert rc == 0, out[-3000:]
    assert version(host) == "1.9.0"
    assert serves_metrics(host)
