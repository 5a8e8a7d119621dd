"""Every role's meta/argument_specs.yml agrees with its defaults/main.yml: names AND values.

The anchors check names only, and their specs drifted from their defaults; we check both.
Public variables are prefixed with the role name.
"""
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists())


def load(path):
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def main_options(role):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    return specs.get("main", {}).get("options", {}) or {}


def test_every_role_has_an_argument_spec():
    roles = sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir())
    assert roles, "no roles found"
    assert [p.name for p in ROLE_DIRS] == roles


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_defaults_and_spec_name_the_same_variables(role):
    defaults = load(role / "defaults" / "main.yml")
    options = main_options(role)
    with_default = {name for name, spec in options.items() if "default" in spec}
    assert set(defaults) == with_default, (
        "defaults/main.yml and meta/argument_specs.yml (main) disagree: only in defaults: %s; "
        "only in the spec: %s" % (sorted(set(defaults) - with_default), sorted(with_default - set(defaults))))


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_defaults_and_spec_have_the_same_values(role):
    defaults = load(role / "defaults" / "main.yml")
    options = main_options(role)
    drifted = {name: (value, options[name]["default"]) for name, value in defaults.items()
               if name in options and options[name].get("default") != value}
    assert not drifted, "default values drifted (defaults/main.yml, argument_specs.yml): %s" % drifted


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_public_variables_carry_the_role_prefix(role):
    names = set(load(role / "defaults" / "main.yml")) | set(main_options(role))
    if role.name == "daemon":
        names |= set(load(role / "meta" / "daemon_params.yml")["service"]["options"])
    unprefixed = sorted(n for n in names if not n.startswith(role.name + "_"))
    assert not unprefixed, "variables without the %s_ prefix: %s" % (role.name, unprefixed)
