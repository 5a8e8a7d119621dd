# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: alertmanager_config
short_description: Build alertmanager.yml from structured variables, with every secret in a file
version_added: 0.1.0
description:
  - Takes the sections of an Alertmanager configuration (C(global), C(route), C(receivers),
    C(inhibit_rules), C(time_intervals), C(templates)) and returns C({data, files, warnings}).
  - Secrets move to files in O(directory) and are replaced by their C(*_file) field, for the
    global SMTP password and Slack/OpsGenie/VictorOps keys, each receiver type's secret fields
    (email C(auth_password), Slack C(api_url), PagerDuty C(routing_key)/C(service_key), webhook
    C(url) from Alertmanager 0.26, and others) and every C(http_config) secret.
  - A C(*_file) field, given or generated, that O(version) cannot read is an error naming the
    receiver, the field, the version and the fix. On versions without C(url_file) a webhook URL
    stays in the configuration file (0640, readable by the daemon's group only), and is listed in
    C(inline_secrets) so that a diff of the file can mask it.
  - The deprecated C(match) and C(match_re) of routes and C(source_match)/C(target_match)(C(_re))
    of inhibit rules are converted to C(matchers), C(source_matchers) and C(target_matchers),
    with a warning in C(warnings).
  - C(${VAR}) placeholders are refused (Alertmanager would send them literally).
positional: _input, directory, version
options:
  _input:
    description: The sections, a dict.
    type: dict
    required: true
  directory:
    description: Directory on the host for the secret files.
    type: str
    required: true
  version:
    description: The Alertmanager version that will read the file (C(0.25.0)); empty for the newest.
    type: str
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Alertmanager configuration with its secrets in files
  ansible.builtin.set_fact:
    am: "{{ {'route': route, 'receivers': receivers} | tda.monitoring.alertmanager_config('/etc/alertmanager/secrets', '0.28.1') }}"
# am.data     -> the configuration, with slack api_url_file: /etc/alertmanager/secrets/receivers_ops_slack_0_api_url
# am.files    -> [{path: ..., content: https://hooks.slack.com/...}]
# am.warnings -> ["route.routes.0: match {'service': 'db'} is deprecated; converted to matchers ['service=\"db\"']"]
'''

RETURN = r'''
_value:
  description:
    - C(data), the configuration; C(files), the secrets to write; C(warnings), what was converted;
      C(inline_secrets), the secret values that had to stay in the configuration file.
  type: dict
'''

import json
import re

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.tda.monitoring.plugins.plugin_utils.secrets import (
    HTTP_FIELDS, move_secret, refuse_env_reference, walk)

GLOBAL_SECRETS = {
    "smtp_auth_password": "smtp_auth_password_file",
    "slack_api_url": "slack_api_url_file",
    "opsgenie_api_key": "opsgenie_api_key_file",
    "victorops_api_key": "victorops_api_key_file",
}
# receiver type -> secret field -> (file field, first version that reads it); measured with
# amtool check-config 0.25.0 (Debian 12), 0.28.1 (Debian 13) and 0.33.1 (Debian sid)
RECEIVER_SECRETS = {
    "email_configs": {"auth_password": ("auth_password_file", "0.25.0")},
    "slack_configs": {"api_url": ("api_url_file", "0.25.0")},
    "pagerduty_configs": {"routing_key": ("routing_key_file", "0.25.0"),
                          "service_key": ("service_key_file", "0.25.0")},
    "opsgenie_configs": {"api_key": ("api_key_file", "0.25.0")},
    "victorops_configs": {"api_key": ("api_key_file", "0.25.0")},
    "webhook_configs": {"url": ("url_file", "0.26.0")},
    "telegram_configs": {"bot_token": ("bot_token_file", "0.26.0")},
    "discord_configs": {"webhook_url": ("webhook_url_file", "0.26.0")},
    "msteams_configs": {"webhook_url": ("webhook_url_file", "0.26.0")},
    "pushover_configs": {"user_key": ("user_key_file", "0.26.0"), "token": ("token_file", "0.26.0")},
}
# a webhook URL may stay inline where the version has no url_file; the others never do
INLINE_WHEN_UNSUPPORTED = {("webhook_configs", "url")}
_MATCHER_PAIRS = (("match", "match_re", "matchers"),
                  ("source_match", "source_match_re", "source_matchers"),
                  ("target_match", "target_match_re", "target_matchers"))


def _version_tuple(text):
    found = re.findall(r"\d+\.\d+\.\d+", text or "")
    return tuple(int(part) for part in found[0].split(".")) if found else (999, 0, 0)


def _quote(value):
    # Alertmanager's matcher syntax takes a double-quoted Go string; JSON escaping matches it
    return json.dumps(str(value))


def _convert_matchers(node, where, warnings):
    """match/match_re style fields of one route or inhibit rule to their *matchers field."""
    out = dict(node)
    for plain, regex, target in _MATCHER_PAIRS:
        converted = []
        for key, operator in ((plain, "="), (regex, "=~")):
            if key in out:
                pairs = out.pop(key) or {}
                converted.extend("%s%s%s" % (name, operator, _quote(value)) for name, value in pairs.items())
        if converted:
            warnings.append("%s: %s/%s are deprecated; converted to %s %s"
                            % (where, plain, regex, target, converted))
            out[target] = list(out.get(target) or []) + converted
    return out


def _convert_route(route, where, warnings):
    out = _convert_matchers(route, where, warnings)
    if out.get("routes"):
        out["routes"] = [_convert_route(child, "%s.routes.%d" % (where, index), warnings)
                         for index, child in enumerate(out["routes"])]
    return out


def _receiver(receiver, index, directory, version, files, inline):
    name = receiver.get("name")
    if not name:
        raise AnsibleFilterError("receivers[%d] has no name; every receiver needs one" % index)
    out = {}
    for kind, configs in receiver.items():
        if kind not in RECEIVER_SECRETS or not isinstance(configs, list):
            out[kind] = walk(configs, ["receivers", name, kind], directory, HTTP_FIELDS, files) \
                if kind != "name" else configs
            continue
        out[kind] = []
        for position, config in enumerate(configs):
            path = ["receivers", name, kind.replace("_configs", ""), str(position)]
            config = dict(config)
            for field, (file_field, since) in RECEIVER_SECRETS[kind].items():
                supported = version >= _version_tuple(since)
                where = "receiver %r %s[%d]" % (name, kind, position)
                if file_field in config and not supported:
                    raise AnsibleFilterError(
                        "%s: %s needs Alertmanager %s or later, and %s will be installed. Nothing was "
                        "changed. Install a newer Alertmanager (alertmanager_version) or give %s instead."
                        % (where, file_field, since, ".".join(str(p) for p in version), field))
                if isinstance(config.get(field), str) and config[field] != "":
                    if supported:
                        config = move_secret(config, field, file_field, path, directory, files)
                    elif (kind, field) in INLINE_WHEN_UNSUPPORTED:
                        refuse_env_reference(where + "." + field, config[field])
                        inline.append(config[field])
                    else:
                        raise AnsibleFilterError(
                            "%s: Alertmanager %s cannot read %s from a file (%s needs %s), and secrets "
                            "are never written into alertmanager.yml. Install Alertmanager %s or later."
                            % (where, ".".join(str(p) for p in version), field, file_field, since, since))
            out[kind].append(walk(config, path, directory, HTTP_FIELDS, files))
    return out


def alertmanager_config(sections, directory, version):
    if not isinstance(sections, dict):
        raise AnsibleFilterError("alertmanager_config expects a dict of sections, got %s" % type(sections).__name__)
    wanted = _version_tuple(version)
    files = []
    warnings = []
    inline = []
    data = {}
    global_section = dict(sections.get("global") or {})
    for field, file_field in GLOBAL_SECRETS.items():
        if isinstance(global_section.get(field), str) and global_section[field] != "":
            global_section = move_secret(global_section, field, file_field, ["global"], directory, files)
    global_section = walk(global_section, ["global"], directory, HTTP_FIELDS, files)
    if global_section:
        data["global"] = global_section
    if sections.get("templates"):
        data["templates"] = list(sections["templates"])
    data["route"] = _convert_route(dict(sections.get("route") or {}), "route", warnings)
    if sections.get("inhibit_rules"):
        data["inhibit_rules"] = [_convert_matchers(rule, "inhibit_rules.%d" % index, warnings)
                                 for index, rule in enumerate(sections["inhibit_rules"])]
    data["receivers"] = [_receiver(receiver, index, directory, wanted, files, inline)
                         for index, receiver in enumerate(sections.get("receivers") or [])]
    if sections.get("time_intervals"):
        data["time_intervals"] = list(sections["time_intervals"])
    for warning in warnings:
        # Display keeps one copy of each message, however often the variable is templated
        Display().warning("alertmanager configuration: " + warning)
    return {"data": data, "files": files, "warnings": warnings, "inline_secrets": sorted(set(inline))}


class FilterModule(object):
    def filters(self):
        return {"alertmanager_config": alertmanager_config}
