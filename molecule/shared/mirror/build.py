"""Build an upstream-style release mirror from Debian's packages (test-only).

Nothing can be downloaded from the projects' release pages here, so the archive install path
is tested against archives repacked from Debian's packages, laid out like the upstream
releases: NAME/releases/download/vVERSION/NAME-VERSION.linux-ARCH.tar.gz with a
sha256sums.txt beside it. Debian's binaries are dynamically linked (glibc 2.34 or newer):
fine on Debian 12 and 13, which is all these archives are for.

    build.py OUTDIR node_exporter:bookworm node_exporter:sid node_exporter:sid:arm64 ...

Packages are fetched with apt-get from a private apt state (any suite, any architecture),
without touching the machine's own apt configuration. Archives are reproducible (fixed
mtimes), so their checksums are stable across rebuilds.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time

MIRROR = os.environ.get("TDA_DEBIAN_MIRROR", "")

# what goes into each archive: file name in the archive -> path inside the Debian package(s)
CATALOG = {
    "node_exporter": {"packages": ["prometheus-node-exporter"],
                      "files": {"node_exporter": "usr/bin/prometheus-node-exporter"}},
    "prometheus": {"packages": ["prometheus", "promtool?"],
                   "files": {"prometheus": "usr/bin/prometheus", "promtool": "usr/bin/promtool"}},
    "alertmanager": {"packages": ["prometheus-alertmanager"],
                     "files": {"alertmanager": "usr/bin/prometheus-alertmanager", "amtool": "usr/bin/amtool",
                               # Debian's build reads its default template from a compiled-in path
                               "default.tmpl": "usr/share/prometheus/alertmanager/default.tmpl",
                               # from 0.27 on Debian's build also reads email.tmpl there ("?": optional)
                               "email.tmpl?": "usr/share/prometheus/alertmanager/email.tmpl"}},
    "blackbox_exporter": {"packages": ["prometheus-blackbox-exporter"],
                          "files": {"blackbox_exporter": "usr/bin/prometheus-blackbox-exporter"}},
    "pushgateway": {"packages": ["prometheus-pushgateway"],
                    "files": {"pushgateway": "usr/bin/prometheus-pushgateway"}},
}


def mirror_uri():
    if MIRROR:
        return MIRROR
    try:
        with open("/etc/apt/sources.list.d/debian.sources") as handle:
            for line in handle:
                if line.startswith("URIs:") and "security" not in line:
                    return line.split()[1]
    except OSError:
        pass
    return "http://deb.debian.org/debian"


class Apt(object):
    def __init__(self, state):
        self.state = state
        for sub in ("lists/partial", "cache/archives/partial", "etc"):
            os.makedirs(os.path.join(state, sub), exist_ok=True)
        status = os.path.join(state, "status")
        open(status, "a").close()
        sources = os.path.join(state, "etc", "sources.list")
        with open(sources, "w") as handle:
            for suite in ("bookworm", "trixie", "sid"):
                handle.write("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n"
                             % (mirror_uri(), suite))
        self.options = ["-o", "Dir::Etc::SourceList=" + sources, "-o", "Dir::Etc::SourceParts=/nonexistent",
                        "-o", "Dir::State::Lists=" + os.path.join(state, "lists"),
                        "-o", "Dir::Cache=" + os.path.join(state, "cache"), "-o", "Dir::State::status=" + status,
                        "-o", "APT::Architectures::=amd64", "-o", "APT::Architectures::=arm64",
                        "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-q"]
        stamp = os.path.join(state, "updated")
        if not os.path.exists(stamp) or time.time() - os.path.getmtime(stamp) > 86400:
            subprocess.run(["apt-get"] + self.options + ["update"], check=True, stdout=subprocess.DEVNULL)
            open(stamp, "w").close()

    def version(self, package, suite, arch):
        out = subprocess.run(["apt-cache"] + self.options + ["madison", "%s:%s" % (package, arch)],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 3 and " %s/" % suite in " " + parts[2]:
                return parts[1]
        return None

    def download(self, package, version, arch, into):
        subprocess.run(["apt-get"] + self.options + ["download", "%s:%s=%s" % (package, arch, version)],
                       check=True, cwd=into, stdout=subprocess.DEVNULL)


def upstream_version(debian_version):
    version = debian_version.split(":", 1)[-1].rsplit("-", 1)[0]
    return version.split("+ds")[0]


def reproducible_tar_gz(path, members):
    """members: [(name in archive, bytes, mode)]"""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime, info.uname, info.gname = len(data), mode, 0, "root", "root"
            tar.addfile(info, io.BytesIO(data))
    with open(path + ".tmp", "wb") as handle:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
            gz.write(raw.getvalue())
    os.replace(path + ".tmp", path)


def update_sums(directory):
    lines = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".tar.gz"):
            with open(os.path.join(directory, name), "rb") as handle:
                lines.append("%s  %s\n" % (hashlib.sha256(handle.read()).hexdigest(), name))
    with open(os.path.join(directory, "sha256sums.txt"), "w") as handle:
        handle.writelines(lines)


def build(out, apt, name, suite, arch):
    spec = CATALOG[name]
    main_package = spec["packages"][0]
    debian_version = apt.version(main_package, suite, arch)
    if not debian_version:
        sys.exit("%s is not in Debian %s for %s" % (main_package, suite, arch))
    version = upstream_version(debian_version)
    directory = os.path.join(out, name, "releases", "download", "v" + version)
    stem = "%s-%s.linux-%s" % (name, version, arch)
    archive = os.path.join(directory, stem + ".tar.gz")
    if os.path.exists(archive):
        return archive
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for package in spec["packages"]:
            optional = package.endswith("?")
            package = package.rstrip("?")
            package_version = apt.version(package, suite, arch)
            if package_version is None and optional:
                continue  # promtool has a package of its own only from trixie on
            apt.download(package, package_version, arch, work)
        root = os.path.join(work, "root")
        for deb in sorted(f for f in os.listdir(work) if f.endswith(".deb")):
            subprocess.run(["dpkg-deb", "-x", os.path.join(work, deb), root], check=True)
        members = []
        for target, source in sorted(spec["files"].items()):
            if target.endswith("?"):
                target = target[:-1]
                if not os.path.exists(os.path.join(root, source)):
                    continue
            with open(os.path.join(root, source), "rb") as handle:
                mode = 0o644 if target.endswith(".tmpl") else 0o755
                members.append(("%s/%s" % (stem, target), handle.read(), mode))
        reproducible_tar_gz(archive, members)
    update_sums(directory)
    return archive


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out = os.path.abspath(argv[1])
    # which archive each NAME:SUITE:ARCH became, so that a mirror already built costs no apt run
    # (apt-cache over three suites takes seconds per lookup); trusted for a day, as the apt lists
    index_path = os.path.join(out, "index.json")
    try:
        with open(index_path) as handle:
            index = json.load(handle)
    except (OSError, ValueError):
        index = {}
    apt = None
    for item in argv[2:]:
        parts = item.split(":")
        name, suite, arch = parts[0], parts[1], parts[2] if len(parts) > 2 else "amd64"
        known = index.get("%s:%s:%s" % (name, suite, arch))
        if known and os.path.exists(os.path.join(out, known["archive"])) and time.time() - known["since"] < 86400:
            print(os.path.join(out, known["archive"]))
            continue
        apt = apt or Apt(os.path.join(out, ".apt"))
        archive = build(out, apt, name, suite, arch)
        index["%s:%s:%s" % (name, suite, arch)] = {"archive": os.path.relpath(archive, out), "since": time.time()}
        with open(index_path + ".tmp", "w") as handle:
            json.dump(index, handle, indent=1, sort_keys=True)
        os.replace(index_path + ".tmp", index_path)
        print(archive)


if __name__ == "__main__":
    main(sys.argv)
