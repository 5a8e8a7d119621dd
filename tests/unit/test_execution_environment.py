"""The execution environment's Python requirements (meta/ee-requirements.txt, which
meta/execution-environment.yml gives ansible-builder) are exactly what the controller-side
plugins import, pinned as requirements.txt pins them; tools/ee.sh makes the build context."""
import ast
import importlib.metadata
import re
import sys

import yaml

from conftest import ROOT

# host-side code (modules, module_utils) uses the standard library and ansible.module_utils only
CONTROLLER_SIDE = [path for path in (ROOT / "plugins").rglob("*.py") if path.parts[-2] not in ("modules", "module_utils")]


def requirements(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def imported_distributions():
    """{distribution: [file importing it]} of every third-party import of controller-side code."""
    owners = importlib.metadata.packages_distributions()
    found = {}
    for path in CONTROLLER_SIDE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("ansible", "ansible_collections", "__future__"):
                    continue
                assert top in owners, "%s imports %s, which no installed distribution provides" % (path.name, top)
                for distribution in owners[top]:
                    found.setdefault(re.sub(r"[-_.]+", "-", distribution).lower(), []).append(path.name)
    return found


def test_ee_requirements_are_what_the_controller_side_plugins_import():
    ee = requirements(ROOT / "meta" / "ee-requirements.txt")
    imported = imported_distributions()
    assert sorted(ee) == sorted(imported), "imported: %s" % imported
    pinned = requirements(ROOT / "requirements.txt")
    assert {name: pinned[name] for name in ee} == ee


def test_the_collection_metadata_points_ansible_builder_at_them():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"]["python"] == "meta/ee-requirements.txt"


def test_the_ee_installs_the_version_galaxy_yml_builds():
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    wanted = yaml.safe_load((ROOT / "ee" / "requirements.yml").read_text())["collections"]
    assert wanted == [{"name": "collection/tda-monitoring-%s.tar.gz" % version, "type": "file"}]
    core = yaml.safe_load((ROOT / "ee" / "execution-environment.yml").read_text())["dependencies"]["ansible_core"]
    assert core["package_pip"] == "ansible-core==" + requirements(ROOT / "requirements.txt")["ansible-core"]
