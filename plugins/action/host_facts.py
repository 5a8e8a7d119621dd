# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tda.monitoring.host_facts: one shell command over the connection, parsed here.

Starting Python on the host and importing Ansible's module basics costs several times more
than reading three small files; the module runs only where the command fails.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.tda.monitoring.plugins.module_utils.os_facts import facts, parse_os_release, refusal

NAMES = ("os_family", "distribution", "distribution_version", "distribution_major_version", "distribution_release",
         "architecture")
SEPARATOR = "--tda-host-facts--"
COMMAND = "cat /etc/os-release; echo %s; cat /etc/debian_version 2>/dev/null; echo %s; uname -m" % (SEPARATOR, SEPARATOR)


def parse(stdout):
    """The facts from the command's output, or None when it is not what the command prints."""
    parts = to_text(stdout, errors="surrogate_or_strict").split(SEPARATOR)
    if len(parts) != 3 or not parts[2].strip():
        return None
    release = parse_os_release(parts[0])
    if "ID" not in release:
        return None
    return facts(release, parts[1].strip() or None, parts[2].strip())


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        known = (task_vars or {}).get("ansible_facts") or {}
        if args.get("missing_only") and all(known.get(name) is not None for name in NAMES):
            found = dict((name, known[name]) for name in NAMES)
            result["changed"] = False
        else:
            # reading world-readable files needs no privilege escalation
            raw = self._low_level_execute_command(COMMAND, sudoable=False)
            found = parse(raw.get("stdout", "")) if raw.get("rc") == 0 else None
            if found is None:
                result.update(self._execute_module(module_name="tda.monitoring.host_facts", module_args=dict(args),
                                                   task_vars=task_vars))
                return result
            result.update(changed=False, ansible_facts=found)
        refused = refusal(found, args.get("supported") or {}, args.get("problems") or [], args.get("label") or "")
        if refused:
            result.update(failed=True, msg=refused)
        return result
