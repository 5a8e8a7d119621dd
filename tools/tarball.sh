#!/usr/bin/env bash
# One Molecule scenario run from the built collection as users install it - the tarball of
# `make build` installed with `ansible-galaxy collection install --offline` into an empty path -
# and nothing from the checkout: the scenario's files are copied out of it, and the collections
# path holds the install and the test harness's own collections (community.docker for Molecule's
# driver, ansible.posix), never the checkout's tda.monitoring (asserted). First, the negative case:
# a tarball built without one file the scenario needs (a task file the node_exporter role imports)
# fails the scenario's converge at its syntax check, naming the file.
#   tools/tarball.sh SCENARIO PLATFORM   (molecule/matrix: the runs marked from=tarball)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"
scenario=$1 platform=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "== tarball: $*"; }

install() {  # tarball directory: an offline install into an empty path of its own
  mkdir -p "$2"
  ANSIBLE_COLLECTIONS_PATH=$2 ansible-galaxy collection install --offline -p "$2" "$1" >/dev/null
}
# the scenario outside the checkout: its directory, the shared scenario files and Molecule's base
project=$work/project
mkdir -p "$project/molecule"
cp -r "molecule/$scenario" molecule/shared .config "$project/"
mv "$project/$scenario" "$project/shared" "$project/molecule/"
grep -v '^collections_path' ansible.cfg >"$project/ansible.cfg"
# Molecule finds its base config (.config/molecule) at the root of the project's repository
git init -q "$project"
export ANSIBLE_CONFIG=$project/ansible.cfg ANSIBLE_HOME=$work/ansible-home MOLECULE_GLOB="molecule/*/molecule.yml"
# its collections path (Molecule's base config reads PROJECT/collections): the harness's collections
# from the machine's cache, and tda.monitoring from an install (below), never the checkout's
collections_path() {  # dir install: the path, with tda.monitoring linked to install's copy
  local dir=$1 manifest fqcn version
  for manifest in collections/ansible_collections/*/*/MANIFEST.json; do
    fqcn=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["collection_info"]; print(i["namespace"] + "." + i["name"], i["version"])' "$manifest")
    read -r fqcn version <<<"$fqcn"
    [ "$fqcn" != tda.monitoring ] || continue
    mkdir -p "$dir/ansible_collections/${fqcn%%.*}"
    ln -s "$TDA_CACHE/files/collections/$fqcn-$version" "$dir/ansible_collections/${fqcn%%.*}/${fqcn#*.}"
  done
  mkdir -p "$dir/ansible_collections/tda"
  ln -s "$2/ansible_collections/tda/monitoring" "$dir/ansible_collections/tda/monitoring"
}

step "a tarball without roles/daemon/tasks/preflight.yml must not converge"
broken_tree=$work/broken-tree
mkdir -p "$broken_tree"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$broken_tree"
sed -i 's|^build_ignore:$|build_ignore:\n  - roles/daemon/tasks/preflight.yml|' "$broken_tree/galaxy.yml"
ansible-galaxy collection build --output-path "$work/broken" "$broken_tree" >/dev/null
install "$work"/broken/tda-monitoring-*.tar.gz "$work/broken-install"
collections_path "$work/broken-path" "$work/broken-install"
if out=$(cd "$project" && ANSIBLE_COLLECTIONS_PATH=$work/broken-path \
           ansible-playbook --syntax-check -i localhost, "molecule/$scenario/converge.yml" 2>&1); then
  echo "the converge passed its syntax check without roles/daemon/tasks/preflight.yml" >&2; exit 1
fi
grep -q "preflight.yml" <<<"$out" || { echo "the broken install failed without naming the missing file: $out" >&2; exit 1; }
echo "   refused as expected: $(grep -m1 -i "preflight" <<<"$out" | cut -c1-160)"

step "the collection built (make build) and installed offline into an empty path"
tarball=$(bash tools/build.sh)
install "$tarball" "$work/install"
collections_path "$project/collections" "$work/install"
export ANSIBLE_COLLECTIONS_PATH=$project/collections
listed=$(cd "$project" && ansible-galaxy collection list tda.monitoring 2>/dev/null) || true
found=$(grep -cE '^tda\.monitoring ' <<<"$listed") || true
resolved=$(readlink -f "$project/collections/ansible_collections/tda/monitoring")
if [ "$found" != 1 ] || [ "$resolved" != "$work/install/ansible_collections/tda/monitoring" ]; then
  echo "tda.monitoring must come from the install alone: $found found, at $resolved" >&2; exit 1
fi
# no file of the scenario's copy, of the install or of the collections path points into the checkout
if grep -rq "$TDA_ROOT" "$project" "$work/install" ||
   find "$project" -type l -exec readlink -f {} + | grep -q "^$TDA_ROOT"; then
  echo "the scenario's copy or the install refers to the checkout ($TDA_ROOT)" >&2; exit 1
fi
echo "   $(basename "$tarball") installed; tda.monitoring found once on the collections path, at $resolved"

step "molecule test -s $scenario on $platform from the install"
cd "$project"
MOLECULE_PROJECT_DIRECTORY=$project TDA_PLATFORM=$platform molecule test -s "$scenario"
