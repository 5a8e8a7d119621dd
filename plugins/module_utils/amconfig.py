# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What amtool check-config does not check: template globs that match nothing and template
names that are used but defined nowhere. Works on the raw text, so no YAML library is needed
on the host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

# Names Alertmanager defines itself (default.tmpl and email.tmpl, compiled in upstream).
BUILTIN_TEMPLATE_NAMES = frozenset("""
__alertmanager __alertmanagerURL __subject __description __text_alert_list
slack.default.title slack.default.username slack.default.fallback slack.default.callbackid
slack.default.pretext slack.default.titlelink slack.default.iconemoji slack.default.iconurl
slack.default.text slack.default.footer pagerduty.default.description pagerduty.default.client
pagerduty.default.clientURL pagerduty.default.instances opsgenie.default.message
opsgenie.default.description opsgenie.default.source wechat.default.message wechat.default.to_user
wechat.default.to_party wechat.default.to_tag wechat.default.agent_id victorops.default.state_message
victorops.default.entity_display_name victorops.default.monitoring_tool pushover.default.title
pushover.default.message pushover.default.url sns.default.subject sns.default.message
telegram.default.message discord.default.title discord.default.message webex.default.message
msteams.default.summary msteams.default.title msteams.default.text msteamsv2.default.title
msteamsv2.default.text jira.default.summary jira.default.description jira.default.priority
rocketchat.default.title rocketchat.default.text rocketchat.default.emoji rocketchat.default.iconurl
email.default.subject email.default.html
""".split())

_DEFINE = re.compile(r"\{\{-?\s*(?:define|block)\s+\"([^\"]+)\"")
_USE = re.compile(r"\{\{-?\s*template\s+\"([^\"]+)\"")
_TEMPLATES_KEY = re.compile(r"^templates:\s*(?P<flow>\[.*\])?\s*$")
_LIST_ITEM = re.compile(r"^\s*-\s+(?P<item>.+?)\s*$")


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def template_globs(config_text):
    """[(glob, line)] of the top-level templates: list, block or flow style."""
    lines = config_text.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = _TEMPLATES_KEY.match(line)
        if not match:
            continue
        if match.group("flow"):
            inner = match.group("flow")[1:-1]
            found.extend((_unquote(item), index + 1) for item in inner.split(",") if item.strip())
            continue
        for offset, item_line in enumerate(lines[index + 1:], start=index + 2):
            if not item_line.strip() or item_line.lstrip().startswith("#"):
                continue
            item = _LIST_ITEM.match(item_line)
            if not item:
                break
            found.append((_unquote(item.group("item")), offset))
    return found


def _names_with_lines(pattern, text):
    return [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in pattern.finditer(text)]


def check_templates(config_file, default_dirs=()):
    """Errors (file, line, column, message) and the template files the globs match."""
    with open(config_file) as handle:
        config_text = handle.read()
    base = os.path.dirname(os.path.abspath(config_file))
    errors = []
    files = []
    for pattern, line in template_globs(config_text):
        full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
        matched = sorted(glob.glob(full))
        if not matched:
            errors.append(dict(file=config_file, line=line, column=None,
                               message="templates: %r matches no file; Alertmanager would start without "
                                       "these templates. Deploy the template files or fix the glob." % pattern))
        files.extend(m for m in matched if m not in files)

    defined = set(BUILTIN_TEMPLATE_NAMES)
    sources = [(config_file, config_text)]
    for path in files:
        with open(path) as handle:
            text = handle.read()
        sources.append((path, text))
        defined.update(name for name, _line in _names_with_lines(_DEFINE, text))
    for directory in default_dirs:
        for path in glob.glob(os.path.join(directory, "*.tmpl")):
            with open(path) as handle:
                defined.update(name for name, _line in _names_with_lines(_DEFINE, handle.read()))

    for path, text in sources:
        for name, line in _names_with_lines(_USE, text):
            if name not in defined:
                errors.append(dict(file=path, line=line, column=None,
                                   message="template %r is used but defined nowhere (not in %s nor in "
                                           "Alertmanager's defaults); define it in a template file or fix "
                                           "the name" % (name, ", ".join(files) or "any templates: file")))
    return errors, files
