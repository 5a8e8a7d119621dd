#!/usr/bin/env bash
# A CI run from nothing on this machine: removes what this project keeps here - its base images,
# its machine cache ($TDA_CACHE: virtualenv, Debian's tools, release mirror, wheels,
# collections), the checkout's .venv, .cache, collections/ and Ansible home, ansible-test's
# environments and get-pip stand-in, Molecule's state of this project, and any container or
# network a lab or scenario left - then runs .ci/run (or, with `lab`, `make lab`: #19's
# fresh-machine figure) and prints its time. Nothing else on the machine is touched (the
# Docker engine and Debian's packages stay installed).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

echo "== removing what tda.monitoring keeps on this machine"
if docker version >/dev/null 2>&1; then
  ids=$(docker ps -aq --filter "label=tda.lab=1"; docker ps -aq --filter "name=^tda-mol-"; docker ps -aq --filter "name=^tda-bench-")
  [ -z "$ids" ] || xargs docker rm -f <<<"$ids" >/dev/null
  for net in $(docker network ls --format '{{.Name}}' | grep -E '^tda-(lab|mol-|bench)' || true); do
    docker network rm "$net" >/dev/null || true
  done
  for image in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^tda-(molecule|services):' || true); do
    docker image rm -f "$image" >/dev/null
  done
fi
rm -rf "${TDA_CACHE:?}" .venv .cache collections .ansible
rm -rf ~/.ansible/test "${XDG_CACHE_HOME:-$HOME/.cache}/molecule/$(basename "$TDA_ROOT")"
what=${1:-ci}
case $what in
  ci) run=(env CI=true bash .ci/run) ;;
  lab) run=(make lab) ;;
  *) echo "usage: tools/fresh.sh [ci|lab]" >&2; exit 2 ;;
esac
echo "== ${run[*]} from nothing"
start=$(date +%s)
rc=0
"${run[@]}" || rc=$?
echo "fresh $what: $(( $(date +%s) - start )) s, exit $rc"
exit $rc
