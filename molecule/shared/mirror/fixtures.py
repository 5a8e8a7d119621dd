"""Write clearly labelled fixture artefacts in the shape of upstream releases (test-only).

cAdvisor's release binaries, the JMX exporter's javaagent jar and Flink's Prometheus reporter
jar cannot be downloaded on these machines, and the services they watch (Docker containers
under cAdvisor, a Kafka broker, Flink) do not run here. To test the install path and the
rendering, this writes stand-ins in the upstream layout, each with its per-file .sha256:

    OUTDIR/cadvisor/releases/download/vVERSION/cadvisor-vVERSION-linux-ARCH   (a shell script)
    OUTDIR/jmx_exporter/releases/download/VERSION/jmx_prometheus_javaagent-VERSION.jar
    OUTDIR/maven2/org/apache/flink/flink-metrics-prometheus/VERSION/flink-metrics-prometheus-VERSION.jar
    OUTDIR/grafana/oss/release/grafana-VERSION.linux-ARCH.tar.gz   (grafana-vVERSION/bin/grafana, conf/, public/)

The "binary" says what it is and exits 64 unless asked for its version; the jars hold only a
manifest and a FIXTURE.txt. None of them is ever started as the real thing.

    fixtures.py OUTDIR cadvisor:0.49.2:amd64 cadvisor:0.49.2:arm64 jmx:1.5.0 flink:1.18.1 grafana:11.3.0:amd64 ...
"""
import gzip
import hashlib
import io
import os
import sys
import tarfile
import zipfile

LABEL = "tda.monitoring TEST FIXTURE built by molecule/shared/mirror/fixtures.py"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def cadvisor_script(version, arch):
    return ("#!/bin/sh\n"
            "# %s. This is NOT cAdvisor: it stands in for the release binary\n"
            "# cadvisor-v%s-linux-%s to test the install path only.\n"
            'case "$1" in --version|-version)\n'
            '  echo "cAdvisor version v%s (test fixture for linux/%s, not cAdvisor)"; exit 0;;\n'
            "esac\n"
            'echo "%s: not cAdvisor, never run it as a daemon" >&2\n'
            "exit 64\n" % (LABEL, version, arch, version, arch, LABEL)).encode()


def fixture_jar(what, version):
    """A reproducible jar (zip) with a manifest and a FIXTURE.txt naming what it stands in for."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        for name, text in (("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nX-TDA-Fixture: %s %s\n\n" % (what, version)),
                           ("FIXTURE.txt", "%s.\nThis is NOT %s %s; it stands in for its jar to test the install path.\n"
                            % (LABEL, what, version))):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            jar.writestr(info, text)
    return buffer.getvalue()


def grafana_tarball(version, arch):
    """A reproducible tarball in the shape of Grafana's release: grafana-vVERSION/ with bin/grafana
    (a script that says what it is), conf/defaults.ini and public/."""
    top = "grafana-v%s" % version
    members = [
        ("bin/grafana", ("#!/bin/sh\n# %s. This is NOT Grafana.\n"
                         'case "$1" in --version|-v) echo "grafana version %s (test fixture for linux/%s, not Grafana)"; '
                         "exit 0;; esac\n"
                         'echo "%s: not Grafana, never run it as a daemon" >&2\nexit 64\n'
                         % (LABEL, version, arch, LABEL)).encode(), 0o755),
        ("conf/defaults.ini", ("; %s: stands in for Grafana's defaults.ini\n[paths]\ndata = data\n" % LABEL).encode(), 0o644),
        ("public/FIXTURE.txt", ("%s: stands in for Grafana's web assets\n" % LABEL).encode(), 0o644),
    ]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for directory in ("", "/bin", "/conf", "/public"):
            info = tarfile.TarInfo(top + directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1704067200
            tar.addfile(info)
        for name, data, mode in members:
            info = tarfile.TarInfo("%s/%s" % (top, name))
            info.size, info.mode, info.mtime = len(data), mode, 1704067200
            tar.addfile(info, io.BytesIO(data))
    # gzip's header carries a time: a fixed one keeps the checksum stable across rebuilds
    return gzip.compress(buffer.getvalue(), mtime=0)


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
    with open(path + ".sha256", "w") as handle:
        handle.write("%s  %s\n" % (hashlib.sha256(data).hexdigest(), os.path.basename(path)))
    print("fixture %s" % path)


def main(outdir, specs):
    for spec in specs:
        kind, version, *rest = spec.split(":")
        if kind == "cadvisor":
            arch = rest[0] if rest else "amd64"
            name = "cadvisor-v%s-linux-%s" % (version, arch)
            write(os.path.join(outdir, "cadvisor/releases/download/v%s" % version, name),
                  cadvisor_script(version, arch), 0o755)
        elif kind == "jmx":
            name = "jmx_prometheus_javaagent-%s.jar" % version
            write(os.path.join(outdir, "jmx_exporter/releases/download", version, name),
                  fixture_jar("the JMX exporter javaagent", version))
        elif kind == "flink":
            name = "flink-metrics-prometheus-%s.jar" % version
            write(os.path.join(outdir, "maven2/org/apache/flink/flink-metrics-prometheus", version, name),
                  fixture_jar("Flink's Prometheus reporter", version))
        elif kind == "grafana":
            arch = rest[0] if rest else "amd64"
            name = "grafana-%s.linux-%s.tar.gz" % (version, arch)
            write(os.path.join(outdir, "grafana/oss/release", name), grafana_tarball(version, arch))
        else:
            raise SystemExit("unknown fixture %r (cadvisor:VERSION[:ARCH], jmx:VERSION, flink:VERSION, "
                             "grafana:VERSION[:ARCH])" % spec)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
