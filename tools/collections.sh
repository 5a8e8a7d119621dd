#!/usr/bin/env bash
# Install the collections of requirements.yml into collections/.
# Galaxy first (short timeout); where it does not answer, take the same versions from the
# `ansible` wheel on PyPI, which bundles them. A no-op when every pinned version is present.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv/bin
dest=collections/ansible_collections
bundle_version=12.3.0   # the `ansible` release whose bundled collections match requirements.yml

mapfile -t wanted < <("$venv/python" - <<'PY'
import yaml
for c in yaml.safe_load(open("requirements.yml"))["collections"]:
    print(c["name"], c["version"])
PY
)

installed_version() {
  local ns=${1%%.*} name=${1#*.}
  "$venv/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
    "$dest/$ns/$name/MANIFEST.json" 2>/dev/null || true
}

# the repository root is the collection: make it resolvable as tda.monitoring
mkdir -p "$dest/tda"
[ -L "$dest/tda/monitoring" ] || ln -sfn ../../.. "$dest/tda/monitoring"

missing=()
for line in "${wanted[@]}"; do
  read -r -a fields <<<"$line"; set -- "${fields[@]}"
  [ "$(installed_version "$1")" = "$2" ] || missing+=("$1:$2")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# the machine's copy (tools/venv.sh links .cache to it): what an earlier clone installed
kept=.cache/collections
from_cache() {  # fqcn version
  local ns=${1%%.*} name=${1#*.}
  [ -f "$kept/$1-$2/MANIFEST.json" ] || return 1
  rm -rf "${dest:?}/$ns/$name"
  mkdir -p "$dest/$ns"
  cp -a "$kept/$1-$2" "$dest/$ns/$name"
}
still_missing=()
for item in "${missing[@]}"; do from_cache "${item%%:*}" "${item#*:}" || still_missing+=("$item"); done
[ ${#still_missing[@]} -eq 0 ] && { echo "== collections from the machine's cache: ${missing[*]}"; exit 0; }
missing=("${still_missing[@]}")
keep() {  # fqcn: copy an installed collection into the machine's cache
  local ns=${1%%.*} name=${1#*.} version
  version=$(installed_version "$1")
  [ -n "$version" ] && [ ! -e "$kept/$1-$version" ] || return 0
  mkdir -p "$kept"
  cp -a "$dest/$ns/$name" "$kept/.$1-$version.$$" && mv "$kept/.$1-$version.$$" "$kept/$1-$version"
}

echo "== installing collections: ${missing[*]}"
if timeout 30 "$venv/ansible-galaxy" collection install -p collections -r requirements.yml >/tmp/tda-galaxy.log 2>&1; then
  echo "== collections installed from Galaxy"
  for item in "${missing[@]}"; do keep "${item%%:*}"; done
  exit 0
fi
echo "== Galaxy did not answer; taking the collections from PyPI's ansible==$bundle_version wheel"
cache=.cache/wheels
mkdir -p "$cache"
wheel=$cache/ansible-$bundle_version-py3-none-any.whl
[ -f "$wheel" ] || "$venv/pip" download -q --no-deps -d "$cache" "ansible==$bundle_version" 2>&1 | grep -v "^WARNING: Location" || true
[ -f "$wheel" ] || { echo "could not download ansible==$bundle_version from PyPI" >&2; exit 1; }
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
# extract only the wanted collections' directories, not the whole 50 MB wheel
"$venv/python" - "$wheel" "$unpacked" "${missing[@]}" <<'PY'
import sys, zipfile
wheel, target, *items = sys.argv[1:]
prefixes = tuple("ansible_collections/%s/" % i.split(":")[0].replace(".", "/") for i in items)
with zipfile.ZipFile(wheel) as z:
    z.extractall(target, [n for n in z.namelist() if n.startswith(prefixes)])
PY
for item in "${missing[@]}"; do
  fqcn=${item%%:*} version=${item#*:}
  ns=${fqcn%%.*} name=${fqcn#*.}
  got=$("$venv/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' \
    "$unpacked/ansible_collections/$ns/$name/MANIFEST.json")
  [ "$got" = "$version" ] || { echo "$fqcn: the wheel has $got, requirements.yml pins $version" >&2; exit 1; }
  rm -rf "${dest:?}/$ns/$name"
  mkdir -p "$dest/$ns"
  cp -a "$unpacked/ansible_collections/$ns/$name" "$dest/$ns/$name"
  keep "$fqcn"
  echo "   $fqcn $version"
done
