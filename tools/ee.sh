#!/usr/bin/env bash
# The execution environment's build context (ee/execution-environment.yml) from the built tarball,
# with ansible-builder create - building the image needs its base image from a registry, which
# these machines cannot reach - and what the context must hold.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"
tarball=$(bash tools/build.sh)
context=artifacts/ee-context
rm -rf "$context"
ansible-builder create -f ee/execution-environment.yml -c "$context" --output-filename Containerfile >/dev/null
problems=()
[ -f "$context/_build/collection/$(basename "$tarball")" ] || problems+=("the collection tarball is not in the context")
grep -q "ansible-core==2.19.14" "$context/Containerfile" || problems+=("the Containerfile does not install ansible-core 2.19.14")
grep -q "collection/$(basename "$tarball")" "$context/_build/requirements.yml" ||
  problems+=("ee/requirements.yml does not name $(basename "$tarball") (galaxy.yml's version)")
# the image's galaxy and builder stages, without the image: the collection installed offline from the
# context as its requirements.yml says, then ansible-builder's own introspection of what it needs
installed=$(mktemp -d)
trap 'rm -rf "$installed"' EXIT
(cd "$context/_build" && ANSIBLE_COLLECTIONS_PATH="$installed" ansible-galaxy collection install --offline -r requirements.yml -p "$installed" >/dev/null) ||
  problems+=("the collection does not install from the context")
wanted=$(python3 "$context/_build/scripts/introspect.py" introspect "$installed")
while read -r requirement; do
  # ansible-builder leaves out what ansible-core itself brings (PyYAML)
  case $requirement in ""|"#"*|PyYAML==*) continue ;; esac
  grep -q "'$requirement  # from collection tda.monitoring'" <<<"$wanted" ||
    problems+=("ansible-builder does not find $requirement in the installed collection")
done <meta/ee-requirements.txt
if [ ${#problems[@]} -gt 0 ]; then printf 'ee: %s\n' "${problems[@]}" >&2; exit 1; fi
found=$(grep -o "'[^ ]*" <<<"$wanted" | tr -d "'" | xargs)
echo "ee: build context in $context ($(find "$context" -type f | wc -l) files), collection $(basename "$tarball"); its Python requirements as ansible-builder finds them: $found"
