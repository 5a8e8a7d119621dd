"""State a reader can follow (#18): what the daemon role registers or sets with set_fact in one
entry point is read in that entry point only. What the steps pass each other travels in one
fact, __daemon_state, keyed by the daemon's name (roles/daemon/README.md has the table), so no
step reads another daemon's results and no result needs an "is this mine" guard."""
import pathlib
import re

import yaml

ROLES = pathlib.Path(__file__).resolve().parents[2] / "roles"
TASKS = ROLES / "daemon" / "tasks"
# the entry points the daemon roles import, with the files each includes
ENTRY_POINTS = {
    "preflight": ["preflight.yml"],
    "fetch": ["fetch.yml"],
    "install": ["install.yml", "install_package.yml", "install_archive.yml", "install_offline.yml"],
    "configure": ["configure.yml", "configure_apply.yml"],
    # validate.yml also runs from the reload handler, on the live set
    "activate": ["activate.yml", "activate_apply.yml", "validate.yml"],
    "service": ["service.yml", "service_apply.yml"],
    "restart_one": ["restart_one.yml"],
    "remove": ["remove.yml"],
    "artefact": ["artefact.yml", "facts.yml"],
    "handlers": ["handler_restart.yml", "handler_reload.yml", "reload_one.yml"],
}
SHARED = {"__daemon_state"}
NAME = re.compile(r"\b(__?daemon_[a-z0-9_]+)")


def tasks_of(node):
    if isinstance(node, list):
        for item in node:
            yield from tasks_of(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always"):
            if key in node:
                yield from tasks_of(node[key])


def defined_in(path):
    names = set()
    for task in tasks_of(yaml.safe_load(path.read_text()) or []):
        if "register" in task:
            names.add(task["register"])
        names.update(k for k in (task.get("ansible.builtin.set_fact") or {}) if k != "cacheable")
    return names


def role_vars():
    """The daemon role's vars, each with the __daemon_* names it reads, through other vars too."""
    data = yaml.safe_load((ROLES / "daemon" / "vars" / "main.yml").read_text())
    direct = {name: set(NAME.findall(str(value))) for name, value in data.items()}
    reads = {}

    def resolve(name, seen=()):
        if name not in reads:
            found = set()
            for used in direct.get(name, ()):
                if used.startswith("__"):
                    found.add(used)
                elif used in direct and used not in seen:
                    found |= resolve(used, seen + (name,))
            reads[name] = found
        return reads[name]
    for name in direct:
        resolve(name)
    return reads


def read_in(text, through):
    names = set()
    for used in NAME.findall(text):
        names |= {used} if used.startswith("__") else through.get(used, set())
    return names


def test_entry_points_list_every_task_file():
    listed = {name for files in ENTRY_POINTS.values() for name in files}
    assert listed == {p.name for p in TASKS.glob("*.yml")} - {"main.yml"}


def test_a_result_is_read_only_in_the_entry_point_that_made_it():
    through = role_vars()
    owner = {}
    for entry, files in ENTRY_POINTS.items():
        for name in files:
            for defined in defined_in(TASKS / name) - SHARED:
                assert owner.setdefault(defined, entry) == entry, "%s is set in %s and %s" % (defined, owner[defined], entry)
    crossings = []
    for entry, files in ENTRY_POINTS.items():
        for name in files:
            for used in read_in((TASKS / name).read_text(), through):
                if used in owner and owner[used] != entry:
                    crossings.append("%s reads %s, which %s sets" % (name, used, owner[used]))
    # the daemon roles read only what is passed to them: __daemon_state, never a step's own result
    for path in sorted(ROLES.glob("*/*/*.yml")):
        if path.parts[-3] != "daemon":
            for used in set(NAME.findall(path.read_text())):
                if used.startswith("__daemon_") and used not in SHARED:
                    crossings.append("%s reads %s, a result of the daemon role" % (path.relative_to(ROLES), used))
    assert crossings == []
