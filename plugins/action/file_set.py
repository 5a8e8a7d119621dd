# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tda.monitoring.file_set: reads files[].src on the controller.

Small text files travel inline with the module arguments; large or binary files (release
binaries) travel only as a sha256, and are sent in a second round trip when, and only when,
the host's copy differs. A no-change run is one module execution per host.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import posixpath

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.tda.monitoring.plugins.plugin_utils.digest import sha256_cached

display = Display()
INLINE_LIMIT = 256 * 1024
MODULE = "tda.monitoring.file_set"


def inline_text(path):
    """The content as text when it is small UTF-8 text, else None."""
    if os.path.getsize(path) > INLINE_LIMIT:
        return None
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scrub(result):
    """The module echoes its arguments (every file's content) at -v and beyond; a configuration may
    hold values that are not secrets to its daemon but are to us (a remote_write user name).
    Only a changed file's content is shown, in its diff, with --diff, as the template module does.
    Below -v the echo goes entirely: the registered result is read by several tasks per daemon, and
    every path and mode of the set in it costs each of them time."""
    if display.verbosity < 1:
        result.pop("invocation", None)
        return result
    for spec in (result.get("invocation") or {}).get("module_args", {}).get("files") or []:
        if isinstance(spec, dict) and spec.get("content") is not None:
            spec["content"] = "(%d characters, not shown)" % len(spec["content"])
    return result


class ActionModule(ActionBase):
    # True would make a remote temporary directory before every run (two more round trips);
    # one is made only when a file has to be sent
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        files, local_of = [], {}
        root = args.get("root") or ""
        for spec in args.get("files") or []:
            spec = dict(spec)
            if "name" in spec and "dest" not in spec:
                spec["dest"] = spec.pop("name")
            src = spec.pop("src", None)
            optional = spec.pop("optional", False)
            if src:
                if optional and not os.path.exists(to_text(src)):
                    continue
                try:
                    path = self._find_needle("files", to_text(src))
                except AnsibleError as exc:
                    raise AnsibleActionFail("file_set: source %s of %s not found on the controller: %s"
                                            % (src, spec.get("dest"), to_text(exc)))
                text = inline_text(path)
                if text is not None:
                    spec["content"] = text
                else:
                    spec["checksum"] = sha256_cached(path)
                    local_of[posixpath.join(root, spec["dest"])] = (path, spec)
            files.append(spec)
        args["files"] = files
        try:
            first = scrub(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            if first.get("failed") or self._task.check_mode or not first.get("needs"):
                result.update(first)
                return result
            staged = []
            for index, dest in enumerate(first["needs"]):
                path, spec = local_of[dest]
                remote = self._connection._shell.join_path(self._make_tmp_path() if not self._connection._shell.tmpdir
                                                           else self._connection._shell.tmpdir, "file%d" % index)
                self._transfer_file(path, remote)
                staged.append(dict(spec, staged=remote))
            self._fixup_perms2([spec["staged"] for spec in staged])
            second = scrub(self._execute_module(module_name=MODULE, module_args={"files": staged}, task_vars=task_vars))
            if second.get("failed"):
                result.update(second)
                return result
            first["changed"] = True
            first["updated"] = first.get("updated", []) + second.get("updated", [])
            for key in ("changed_kinds", "created_kinds"):
                first[key] = first.get(key, []) + [tag for tag in second.get(key, []) if tag not in first.get(key, [])]
            first["needs"] = []
            result.update(first)
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
