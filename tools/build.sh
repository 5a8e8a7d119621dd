#!/usr/bin/env bash
# The collection tarball, as users install it: artifacts/collection/tda-monitoring-VERSION.tar.gz
# (the only file there), checked to leave out what galaxy.yml's build_ignore names.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"
out=artifacts/collection
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/tda-monitoring-*.tar.gz)
if tar -tzf "$tarball" | grep -qE '^(collections|\.venv|\.cache|\.ansible|artifacts|molecule|tests|tools|lab|bench)/'; then
  echo "$tarball holds files the build must leave out" >&2
  exit 1
fi
echo "$tarball"
