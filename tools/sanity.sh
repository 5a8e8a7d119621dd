#!/usr/bin/env bash
# ansible-test sanity on the collection, with no ignore entries.
# ansible-test needs the collection under ansible_collections/tda/monitoring, and its
# environments bootstrap pip with a get-pip script from a host that is not reachable here:
# a stand-in that installs pip from PyPI's pip wheel takes that script's place in its cache.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

# ansible-test runs shellcheck only when it is installed
if ! command -v shellcheck >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
fi

pip_version=24.2   # what ansible-test 2.19 bootstraps its environments with
cache=~/.ansible/test/cache
standin=$cache/get_pip_${pip_version//./_}.py
wheels=$TDA_ROOT/.cache/wheels
if [ ! -f "$standin" ] || ! grep -q "tda.monitoring stand-in" "$standin"; then
  mkdir -p "$cache" "$wheels"
  pip download -q --no-deps -d "$wheels" "pip==$pip_version" 2>&1 | grep -v "^WARNING: Location" || true
  wheel=$(ls "$wheels"/pip-"$pip_version"-*.whl)
  cat >"$standin" <<PY
# tda.monitoring stand-in for get-pip.py: installs pip $pip_version from its PyPI wheel.
import sys
sys.path.insert(0, "$wheel")
from pip._internal.cli.main import main
# get-pip.py's own flags, which pip itself does not know
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--find-links", "$wheels"] + args))
PY
fi

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
dest=$tree/ansible_collections/tda/monitoring
mkdir -p "$dest"
# the files git tracks or would track: the collection as it will be committed
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A >/dev/null
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --requirements --color no "$@"
