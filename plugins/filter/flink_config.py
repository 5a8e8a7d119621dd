# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flink's configuration file: which one an installation reads, and what in it would override or
disable a metrics reporter the role writes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.tda.monitoring.plugins.plugin_utils.versions import version_tuple

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core needs PyYAML on the controller
    yaml = None

NEW_FILE = "config.yaml"
LEGACY_FILE = "flink-conf.yaml"


def flink_version_of(jar_names):
    """Flink's version from the name of its flink-dist jar ('' when there is none)."""
    for name in jar_names or []:
        found = re.match(r"flink-dist(?:_[0-9.]+)?-(\d+\.\d+(?:\.\d+)?)\.jar$", name.rsplit("/", 1)[-1])
        if found:
            return found.group(1)
    return ""


def flink_config_file(jar_names, conf_dir, existing, flink_home=""):
    """{path, syntax, other, version} of the file the Flink whose lib/ holds jar_names reads.

    Flink 2.x reads only config.yaml (standard YAML); 1.19 and 1.20 read flink-conf.yaml (flat
    'key: value' lines, values taken verbatim) when it exists and otherwise config.yaml - 1.20.3
    with both files loads flink-conf.yaml; older releases only flink-conf.yaml. 'other' is the file this Flink ignores, where an older block may remain."""
    version = flink_version_of(jar_names)
    if not version:
        raise AnsibleFilterError(
            "no lib/flink-dist-VERSION.jar under %s: that is not a Flink installation. Set "
            "flink_prometheus_reporter_flink_home to Flink's directory. Nothing has been changed."
            % (flink_home or "the Flink home"))
    existing = set(existing or [])
    release = version_tuple(version + ".0" if version.count(".") == 1 else version)
    if release >= (2, 0, 0):
        if LEGACY_FILE in existing and NEW_FILE not in existing:
            raise AnsibleFilterError(
                "%s/%s is ignored by Flink %s, which reads only %s: migrate it with Flink's "
                "bin/migrate-config-file.sh (or write %s/%s) first. Nothing has been changed."
                % (conf_dir, LEGACY_FILE, version, NEW_FILE, conf_dir, NEW_FILE))
        name = NEW_FILE
    elif release >= (1, 19, 0):
        name = LEGACY_FILE if LEGACY_FILE in existing else NEW_FILE
    else:
        name = LEGACY_FILE
    other = LEGACY_FILE if name == NEW_FILE else NEW_FILE
    return {"path": "%s/%s" % (conf_dir, name), "syntax": "yaml" if name == NEW_FILE else "legacy",
            "other": "%s/%s" % (conf_dir, other), "version": version}


def _legacy_settings(text):
    """(line, key, value) of each setting as Flink's legacy parser reads it: '#' starts a comment
    anywhere, the key ends at the first ': ', the value is taken verbatim."""
    for number, line in enumerate(text.splitlines(), 1):
        setting = line.split("#", 1)[0].strip()
        if ": " in setting:
            key, value = setting.split(": ", 1)
            yield number, key.strip(), value.strip()


def _yaml_settings(text, path):
    """(line, flattened key, value) of each leaf, nested maps joined with '.' as Flink does."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise AnsibleFilterError(
            "%s line %s: not valid YAML (%s), and Flink would not start with it; correct that line "
            "first. Nothing has been changed."
            % (path, mark.line + 1 if mark else "?", getattr(exc, "problem", None) or exc))
    pending = [("", root)] if isinstance(root, yaml.MappingNode) else []
    while pending:
        prefix, node = pending.pop()
        for key_node, value_node in node.value:
            key = prefix + str(key_node.value)
            if isinstance(value_node, yaml.MappingNode):
                pending.append((key + ".", value_node))
            elif isinstance(value_node, yaml.SequenceNode):
                yield key_node.start_mark.line + 1, key, ",".join(str(item.value) for item in value_node.value)
            else:
                yield key_node.start_mark.line + 1, key, str(value_node.value)


def flink_config_conflicts(text, syntax, reporter, path, marker_begin, marker_end):
    """Settings outside the role's marked block that would override the reporter's keys, or that
    leave the reporter out of 'metrics.reporters' (then Flink starts only those listed): a list of
    {line, key, why}, in line order."""
    lines = (text or "").splitlines()
    block = range(0)
    if marker_begin in lines and marker_end in lines:
        block = range(lines.index(marker_begin) + 1, lines.index(marker_end) + 2)
    settings = _yaml_settings(text or "", path) if syntax == "yaml" else _legacy_settings(text or "")
    prefix = "metrics.reporter.%s." % reporter
    found = []
    for line, key, value in settings:
        if line in block:
            continue
        if key.startswith(prefix) or key == prefix[:-1]:
            found.append({"line": line, "key": key,
                          "why": "sets the reporter's own key, which would override the role's"})
        elif key == "metrics.reporters" and reporter not in [part.strip() for part in value.split(",")]:
            found.append({"line": line, "key": key,
                          "why": "lists the reporters Flink starts and leaves out '%s'" % reporter})
    return sorted(found, key=lambda conflict: conflict["line"])


class FilterModule(object):
    def filters(self):
        return {"flink_config_file": flink_config_file, "flink_config_conflicts": flink_config_conflicts}
