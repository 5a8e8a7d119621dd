# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tda.monitoring.prometheus_lint: runs on the controller, touches no host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint

RULE_SUFFIXES = (".yml", ".yaml", ".rules")


def _plain(data):
    """Ansible's tagged/unsafe values as plain Python for the linter."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if data is None:
        return None
    # tagged subclasses of the builtins become the builtins themselves (yaml can dump those)
    for kind in (bool, int, float):
        if isinstance(data, kind):
            return kind(data)
    return str(to_text(data))


def _rule_paths(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.endswith(RULE_SUFFIXES) and not name.endswith(("_test.yml", "_test.yaml")):
                    yield os.path.join(path, name)
        else:
            yield path


def _load(path):
    try:
        with open(path) as handle:
            text = handle.read()
        return text, (yaml.safe_load(text) or {})
    except (IOError, OSError) as exc:
        raise AnsibleActionFail("prometheus_lint: cannot read %s: %s" % (path, exc))
    except yaml.YAMLError as exc:
        raise AnsibleActionFail("prometheus_lint: %s is not YAML: %s" % (path, exc))


def _config(value, name):
    """(text, parsed, file) from a path or an already parsed dict."""
    if value is None:
        return None, None, None
    if isinstance(value, dict):
        data = _plain(value)
        return yaml.safe_dump(data, default_flow_style=False), data, "<%s>" % name
    text, data = _load(to_text(value))
    return text, data, to_text(value)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("rule_files", "rules", "prometheus_config", "alertmanager_config",
                             "disabled_checks", "allowed_severities"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result["changed"] = False
        args = self._task.args
        unknown = sorted(set(args) - self._VALID_ARGS)
        if unknown:
            raise AnsibleActionFail("prometheus_lint: unknown option(s) %s; see ansible-doc tda.monitoring.prometheus_lint"
                                    % ", ".join(unknown))
        if not promlint.HAS_PROMQL_PARSER:
            raise AnsibleActionFail(
                "prometheus_lint needs the Python package promql-parser on the controller "
                "(pip install promql-parser; it is pinned in this collection's requirements.txt): %s"
                % promlint.PROMQL_IMPORT_ERROR)
        disabled = set(args.get("disabled_checks") or [])
        unknown_checks = sorted(disabled - set(promlint.CHECKS))
        if unknown_checks:
            raise AnsibleActionFail("prometheus_lint: disabled_checks names unknown checks %s; known: %s"
                                    % (unknown_checks, ", ".join(sorted(promlint.CHECKS))))
        severities = tuple(args.get("allowed_severities") or ("critical", "warning", "info", "none"))

        findings = []
        all_groups = []
        for path in _rule_paths([to_text(p) for p in args.get("rule_files") or []]):
            _text, data = _load(path)
            groups = data.get("groups") or []
            all_groups.extend(groups)
            findings.extend(promlint.lint_rules(groups, file=path, allowed_severities=severities))
        inline = _plain(args.get("rules") or [])
        if inline:
            all_groups.extend(inline)
            findings.extend(promlint.lint_rules(inline, file="<rules>", allowed_severities=severities))

        prom_text, _prom, prom_file = _config(args.get("prometheus_config"), "prometheus_config")
        if prom_text is not None:
            findings.extend(promlint.lint_placeholders(prom_text, prom_file))
        am_text, am_config, am_file = _config(args.get("alertmanager_config"), "alertmanager_config")
        if am_text is not None:
            findings.extend(promlint.lint_placeholders(am_text, am_file))
            findings.extend(promlint.lint_alertmanager(am_config, promlint.emitted_label_values(all_groups),
                                                       file=am_file))

        findings = [f for f in findings if f["check"] not in disabled]
        errors = [f for f in findings if f["severity"] == promlint.ERROR]
        result.update(findings=findings, error_count=len(errors), warning_count=len(findings) - len(errors),
                      rules_checked=sum(len(g.get("rules") or []) for g in all_groups))
        if errors:
            result["failed"] = True
            lines = ["%s%s%s [%s] %s; fix: %s" % (
                f["file"] or "", (" group " + f["group"]) if f.get("group") else "",
                (" rule " + f["rule"]) if f.get("rule") else "", f["check"], f["message"], f["fix"])
                for f in errors[:10]]
            more = " (and %d more)" % (len(errors) - 10) if len(errors) > 10 else ""
            result["msg"] = "prometheus_lint found %d error(s)%s: %s" % (len(errors), more, " | ".join(lines))
        else:
            result["msg"] = "prometheus_lint: %d rule(s) checked, %d warning(s)" % (
                result["rules_checked"], result["warning_count"])
        return result
