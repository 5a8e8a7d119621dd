# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run promtool and amtool and turn what they print into structured errors.

promtool and amtool report problems in free text, sometimes with exit code 0 (promtool's
rule lint prints FAILED and exits 0 unless --lint-fatal). Everything here judges by exit
code AND by output, and returns errors as dicts: file, line, column, message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

# "rules.yml: 5:15: group ..." / "/etc/x.yml:12:3: ..." — file, line, column
_FILE_LINE_COL = re.compile(r"(?P<file>[^\s:\"']+\.ya?ml):\s*(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.*)")
# "parsing YAML file prom.yml: yaml: ... line 11: field x not found"
_YAML_FILE = re.compile(r"(?:parsing YAML file|loading|file) \"?(?P<file>[^\s:\"]+)\"?:")
_LINE = re.compile(r"\bline (?P<line>\d+)\b")
_CHECKING = re.compile(r"^Checking '?(?P<file>[^\s']+)'?")
# Go template errors: "template: a.tmpl:2: missing value for if"
_TEMPLATE = re.compile(r"template: (?P<file>[^:\s]+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<msg>.*)")


def find_tool(module, name, explicit=None, beside=None):
    """Path of promtool/amtool: the explicit option, PATH, or next to the daemon's binary."""
    if explicit:
        if not os.access(explicit, os.X_OK):
            module.fail_json(msg="%s: %s is not an executable file; fix the %s option" % (name, explicit, name))
        return explicit
    found = module.get_bin_path(name, required=False, opt_dirs=list(beside or []))
    if not found:
        module.fail_json(msg="%s was not found on PATH nor in %s; install it (Debian package %s) or set the "
                         "%s option" % (name, ", ".join(beside or []) or "the usual places",
                                        "prometheus" if name == "promtool" else "prometheus-alertmanager", name))
    return found


def _error(file_, message, line=None, column=None):
    return {"file": file_, "line": int(line) if line else None,
            "column": int(column) if column else None, "message": message.strip()}


def parse_errors(output, default_file):
    """Structured errors from a promtool/amtool transcript. Lines after a FAILED belong to it."""
    errors = []
    lines = output.splitlines()
    current_file = default_file
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        checking = _CHECKING.match(text)
        if checking:
            # promtool announces each file before its findings ("Checking rules.yml")
            current_file = checking.group("file")
        if "FAILED" not in text and not text.startswith("error"):
            i += 1
            continue
        # a FAILED block: its own line plus the indented or following detail lines
        detail = [text.split("FAILED:", 1)[-1].strip()] if "FAILED" in text else [text]
        i += 1
        while i < len(lines) and lines[i].strip() and "FAILED" not in lines[i] \
                and not lines[i].startswith("Checking") and "SUCCESS" not in lines[i]:
            detail.append(lines[i].strip())
            i += 1
        message = " ".join(d for d in detail if d)
        if not message:
            continue
        errors.append(_locate(message, current_file))
    return errors


def _locate(message, default_file):
    match = _FILE_LINE_COL.search(message)
    if match:
        return _error(match.group("file"), message, match.group("line"), match.group("col"))
    match = _TEMPLATE.search(message)
    if match:
        return _error(match.group("file"), message, match.group("line"), match.group("col"))
    file_ = default_file
    match = _YAML_FILE.search(message)
    if match:
        file_ = match.group("file")
    line = _LINE.search(message)
    return _error(file_, message, line.group("line") if line else None)


def run_checked(module, argv, default_file, cwd=None):
    """Run a checker; return (ok, errors, transcript). Failure = non-zero exit OR a FAILED line."""
    rc, out, err = module.run_command(argv, cwd=cwd)
    transcript = (out or "") + (err or "")
    errors = parse_errors(transcript, default_file)
    if rc != 0 and not errors:
        detail = transcript.strip()[-1000:] or "no output"
        errors = [_error(default_file, "%s exited %d: %s" % (os.path.basename(argv[0]), rc, detail))]
    return (rc == 0 and not errors), errors, transcript


def format_errors(errors):
    """One line per error: file:line:column: message."""
    out = []
    for e in errors:
        where = e["file"] or "?"
        if e.get("line"):
            where += ":%d" % e["line"]
            if e.get("column"):
                where += ":%d" % e["column"]
        out.append("%s: %s" % (where, e["message"]))
    return "; ".join(out)


def unreadable_references(references, placed):
    """Errors for the files a configuration names that this process (the daemon's user) cannot
    read; paths in placed are put in place by the same run (check mode: not yet)."""
    errors = []
    for ref in references or []:
        path = ref["path"]
        if path in (placed or []):
            continue
        try:
            with open(path, "rb"):
                pass
        except (IOError, OSError) as exc:
            why = "does not exist" if not os.path.exists(path) else "is not readable by this user (%s)" % (
                exc.strerror or exc)
            errors.append(_error(path, "%s names %s, which %s; create it readable by the daemon's user "
                                       "or fix %s" % (ref["field"], path, why, ref["field"])))
    return errors


# the options of a validation module that checks the files its configuration names
REFERENCE_OPTIONS = dict(
    referenced_files=dict(type="list", elements="dict", default=[], options=dict(
        field=dict(type="str", required=True), path=dict(type="path", required=True))),
    placed=dict(type="list", elements="path", default=[]),
)


def fail_on_unreadable_references(module, config_file, daemon, result):
    """Fail naming every file of referenced_files the daemon (this process's user) could not read."""
    result["errors"] = unreadable_references(module.params["referenced_files"], module.params["placed"])
    if result["errors"]:
        module.fail_json(msg="%s names files %s could not read: %s" % (config_file, daemon, format_errors(result["errors"])),
                         **result)
