#!/usr/bin/env bash
# Flink distributions built from PyPI's apache-flink-libraries (Flink's own jars; no Maven or
# GitHub here): $TDA_CACHE/flink/VERSION/{lib,plugins,opt,bin}, downloaded and unpacked once per
# machine - the 2.x wheel is 329 MB, the 1.20 sdist 232 MB. Also Debian's Java 17, which runs them,
# and the lab's job (lab/flink/TdaLabJob.java) compiled against the first version into
# $TDA_CACHE/flink/jobs/tda-lab-job-VERSION.jar.
# Usage: tools/flink-dist.sh [VERSION...]   (default: 2.3.0 1.20.3, the versions the tests run)
set -euo pipefail
source "$(dirname "$0")/env.sh"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(2.3.0 1.20.3)
if ! command -v javac >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null; }
fi
mkdir -p "$TDA_CACHE/flink/downloads"
for version in "${versions[@]}"; do
  home=$TDA_CACHE/flink/$version
  [ -f "$home/.complete" ] && continue
  # 2.x is a wheel; 1.x is published only as an sdist, whose jars sit under deps/
  if ! compgen -G "$TDA_CACHE/flink/downloads/apache[-_]flink[-_]libraries-${version}[.-]*" >/dev/null; then
    pip download -q --no-deps "apache-flink-libraries==$version" -d "$TDA_CACHE/flink/downloads" 2>&1 | grep -v '^WARNING: Location' || true
  fi
  rm -rf "$home.tmp"
  python3 - "$TDA_CACHE/flink/downloads" "$version" "$home.tmp" <<'PY'
import glob, os, shutil, sys, tarfile, zipfile
downloads, version, dest = sys.argv[1:]
WANTED = ("lib", "plugins", "opt", "bin")
def place(relative, source):
    target = os.path.join(dest, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with source as data, open(target, "wb") as out:
        shutil.copyfileobj(data, out)
wheels = glob.glob(os.path.join(downloads, "apache_flink_libraries-%s-*.whl" % version))
if wheels:
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            parts = name.split("/")
            if parts[0] == "pyflink" and len(parts) > 2 and parts[1] in WANTED and not name.endswith("/"):
                place("/".join(parts[1:]), wheel.open(name))
else:
    with tarfile.open(os.path.join(downloads, "apache-flink-libraries-%s.tar.gz" % version)) as sdist:
        for member in sdist.getmembers():
            parts = member.name.split("/")
            if len(parts) > 3 and parts[1] == "deps" and parts[2] in WANTED and member.isfile():
                place("/".join(parts[2:]), sdist.extractfile(member))
if not glob.glob(os.path.join(dest, "lib", "flink-dist-*.jar")):
    sys.exit("apache-flink-libraries %s holds no lib/flink-dist jar" % version)
PY
  touch "$home.tmp/.complete"
  rm -rf "$home" && mv "$home.tmp" "$home"
done
job=$TDA_CACHE/flink/jobs/tda-lab-job-${versions[0]}.jar
source_file=$TDA_ROOT/lab/flink/TdaLabJob.java
if [ ! -f "$job" ] || [ "$source_file" -nt "$job" ]; then
  build=$(mktemp -d)
  javac -nowarn -d "$build" -cp "$TDA_CACHE/flink/${versions[0]}/lib/*" "$source_file"
  mkdir -p "$TDA_CACHE/flink/jobs"
  jar --create --file "$job.tmp" --main-class TdaLabJob -C "$build" . && mv "$job.tmp" "$job"
  rm -rf "$build"
fi
echo "== flink: ${versions[*]} in $TDA_CACHE/flink, the lab's job $job; $(java -version 2>&1 | head -1)"
