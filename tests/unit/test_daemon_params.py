"""Every daemon role's daemon_params dict (_ROLE_daemon, _ROLE_artefact in vars/main.yml) names
only the keys roles/daemon/meta/daemon_params.yml describes, and every key it requires.

Ansible would not check them: the roles import the internal role with tasks_from, which names no
argument_specs entry point. Values are Jinja expressions, checked by the scenarios that run them.
"""
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
SPEC = yaml.safe_load((ROLES / "daemon" / "meta" / "daemon_params.yml").read_text())


def params_of_roles():
    found = []
    for vars_file in sorted(ROLES.glob("*/vars/main.yml")):
        role = vars_file.parent.parent.name
        data = yaml.safe_load(vars_file.read_text()) or {}
        for kind in ("daemon", "artefact"):
            name = "_%s_%s" % (role, kind)
            if name in data:
                found.append(pytest.param(kind, data[name], id=name))
    return found


def problems(params, options, where):
    """Unknown keys, missing required keys and wrong nesting, with the path of each."""
    found = []
    if not isinstance(params, dict):
        return ["%s is not a dict" % where]
    found += ["%s.%s is not described" % (where, key) for key in sorted(set(params) - set(options))]
    found += ["%s.%s is required" % (where, key) for key, spec in sorted(options.items())
              if spec.get("required") and key not in params]
    for key, spec in options.items():
        if key in params and spec.get("options") and isinstance(params[key], dict):
            found += problems(params[key], spec["options"], "%s.%s" % (where, key))
    return found


def test_every_daemon_role_is_checked():
    kinds = [param.values[0] for param in params_of_roles()]
    assert kinds.count("daemon") >= 10 and kinds.count("artefact") == 2


@pytest.mark.parametrize("kind,params", params_of_roles())
def test_daemon_params_match_the_spec(kind, params):
    options = SPEC["service" if kind == "daemon" else "artefact"]["options"]["daemon_params"]["options"]
    assert problems(params, options, "daemon_params") == []


def test_the_check_finds_a_misspelt_and_a_missing_key():
    options = SPEC["service"]["options"]["daemon_params"]["options"]
    found = problems({"nmae": "x", "web": {"tls_cert": ""}}, options, "daemon_params")
    assert "daemon_params.nmae is not described" in found
    assert "daemon_params.name is required" in found
    assert "daemon_params.web.tls_key is required" in found
