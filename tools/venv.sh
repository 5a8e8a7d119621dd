#!/usr/bin/env bash
# .venv with the pinned Python dependencies. The virtualenv itself is kept once per machine in
# $TDA_CACHE/venv/<hash of requirements.txt and Python> and .venv links to it, so a fresh clone
# costs a link, not a pip install; .cache links to $TDA_CACHE/files the same way.
# `tools/venv.sh REQUIREMENTS LINK` makes another one the same way (the docs site's, whose
# Sphinx cannot share the pins of requirements.txt).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

mkdir -p "$TDA_CACHE/files"
[ "$(readlink .cache 2>/dev/null)" = "$TDA_CACHE/files" ] || { rm -rf .cache; ln -sfn "$TDA_CACHE/files" .cache; }

# the interpreter of the machine, not of a .venv already on PATH
PATH=${PATH//"$TDA_ROOT/.venv/bin:"/}
python=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
[ -n "$python" ] || { echo "Python 3.11 to 3.13 is needed for ansible-core 2.19" >&2; exit 1; }

requirements=${1:-requirements.txt}
link=${2:-.venv}
key=$( { cat "$requirements"; "$python" -c 'import sys; print(sys.executable, sys.version)'; } | sha256sum | cut -c1-16)
venv=$TDA_CACHE/venv/$key
if [ "$(readlink "$link" 2>/dev/null)" = "$venv" ] && [ -f "$venv/.complete" ]; then
  exit 0
fi

mkdir -p "$TDA_CACHE/venv"
exec 7>"$TDA_CACHE/venv/.lock"
flock 7   # a second clone setting up at the same time waits, then finds the virtualenv complete
if [ ! -f "$venv/.complete" ]; then
  if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "== creating the virtualenv $venv with $($python --version)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >"$venv/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$venv/pip.log" >&2
    exit 1
  fi
  "$venv/bin/ansible-playbook" --version >/dev/null
  touch "$venv/.complete"
fi
flock -u 7
rm -rf "$link"
ln -sfn "$venv" "$link"
