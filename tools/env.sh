# shellcheck shell=bash
# Sourced by the Makefile's recipes and tools/*.sh: one place for the environment every run uses.
TDA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What a clone would otherwise build again (the virtualenv, Debian's tools, the release mirror,
# wheels) lives once per machine; tools/fresh.sh removes it to measure a run from nothing.
if [ -z "${TDA_CACHE:-}" ]; then
  if [ "$(id -u)" = 0 ]; then TDA_CACHE=/var/cache/tda-monitoring; else TDA_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tda-monitoring; fi
fi
export TDA_CACHE
export PATH="$TDA_ROOT/.venv/bin:$PATH"
export ANSIBLE_HOME="$TDA_ROOT/.ansible"
export ANSIBLE_CONFIG="$TDA_ROOT/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$TDA_ROOT/collections"
export MOLECULE_GLOB="molecule/*/molecule.yml"
