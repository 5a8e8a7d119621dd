# shellcheck shell=bash
# Sourced by the Makefile's recipes and tools/*.sh: one place for the environment every run uses.
TDA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$TDA_ROOT/.venv/bin:$PATH"
export ANSIBLE_HOME="$TDA_ROOT/.ansible"
export ANSIBLE_CONFIG="$TDA_ROOT/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$TDA_ROOT/collections"
export MOLECULE_GLOB="molecule/*/molecule.yml"
