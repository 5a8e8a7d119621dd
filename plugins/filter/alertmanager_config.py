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
  - Secrets move to files in O(directory) and are replaced by their C(*_file) field where
    O(version) reads one - in the global section (SMTP password and secret, Slack URL, OpsGenie,
    VictorOps, WeChat, Telegram and Rocket.Chat keys), in each receiver type (email, Slack
    including its app token, PagerDuty, OpsGenie, VictorOps, webhook, Telegram, Discord, MS Teams
    and its Flows-based v2, Pushover, WeChat, Rocket.Chat, incident.io, Mattermost) and in every
    C(http_config) (basic auth, authorization, OAuth2, bearer token; Webex, Jira and SNS sign in
    there).
  - A C(*_file) field, given or generated, or a receiver type that O(version) cannot read is an
    error naming the receiver, the field, the version and the fix. On versions without C(url_file)
    a webhook URL stays in the configuration file (0640, readable by the daemon's group only), and
    is listed in C(inline_secrets) so that a diff of the file can mask it.
  - SNS's C(sigv4) C(access_key) and C(secret_key) have no file form in any version; they are an
    error unless O(allow_inline) is true, and then stay inline and listed in C(inline_secrets).
  - The deprecated C(match) and C(match_re) of routes and C(source_match)/C(target_match)(C(_re))
    of inhibit rules are converted to C(matchers), C(source_matchers) and C(target_matchers),
    with a warning in C(warnings).
  - C(${VAR}) placeholders are refused (Alertmanager would send them literally).
  - In a cluster (O(cluster_size) above 1), every route's C(group_interval) (inherited, 5m when
    unset) must be at least O(cluster_size) times O(peer_timeout). The member at position N waits
    N times the peer timeout before it sends what the notification log does not show as sent; when
    that wait outlasts the group interval, its flushes drift from the first member's and it sends
    an alert state that member has already superseded (a firing notification right after the
    resolved one, then a second resolved one; upstream alertmanager issues 2447 and 4008).
positional: _input, directory, version, allow_inline, cluster_size, peer_timeout
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
  allow_inline:
    description: Keep the secrets that have no file form in any version (SNS's sigv4 keys) inline.
    type: bool
    default: false
  cluster_size:
    description: How many Alertmanagers form the cluster (0 or 1 for a single one).
    type: int
    default: 0
  peer_timeout:
    description: The cluster's C(--cluster.peer-timeout), a Prometheus duration.
    type: str
    default: 15s
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
      C(inline_secrets), the secret values that had to stay in the configuration file; C(inline_keys),
      the fields holding them (a diff masks those fields' values, also where an old value differs).
  type: dict
'''

import json

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.tda.monitoring.plugins.module_utils.durations import duration_seconds
from ansible_collections.tda.monitoring.plugins.plugin_utils.secrets import (
    HTTP_FIELDS, move_secret, refuse_env_reference, walk)
from ansible_collections.tda.monitoring.plugins.plugin_utils.versions import version_tuple

# secret field -> (its file field, the first Alertmanager version that reads it). Upstream's
# release notes, and measured with amtool check-config 0.25.0 (Debian 12), 0.28.1 (Debian 13) and
# 0.33.1 (Debian sid); tests/unit/plugins/test_alertmanager_config.py runs all three on the result.
GLOBAL_SECRETS = {
    "smtp_auth_password": ("smtp_auth_password_file", "0.25.0"),
    "smtp_auth_secret": ("smtp_auth_secret_file", "0.31.0"),
    "slack_api_url": ("slack_api_url_file", "0.25.0"),
    "opsgenie_api_key": ("opsgenie_api_key_file", "0.25.0"),
    "victorops_api_key": ("victorops_api_key_file", "0.25.0"),
    "wechat_api_secret": ("wechat_api_secret_file", "0.31.0"),
    "telegram_bot_token": ("telegram_bot_token_file", "0.31.0"),
    "rocketchat_token": ("rocketchat_token_file", "0.28.0"),
    "rocketchat_token_id": ("rocketchat_token_id_file", "0.28.0"),
}
# receiver type -> secret field -> (file field, first version that reads it); the secrets of every
# type's http_config (basic_auth, authorization, oauth2, bearer_token) move in every version
RECEIVER_SECRETS = {
    "email_configs": {"auth_password": ("auth_password_file", "0.25.0"),
                      "auth_secret": ("auth_secret_file", "0.31.0")},
    "slack_configs": {"api_url": ("api_url_file", "0.25.0"), "app_token": ("app_token_file", "0.30.0")},
    "pagerduty_configs": {"routing_key": ("routing_key_file", "0.25.0"),
                          "service_key": ("service_key_file", "0.25.0")},
    "opsgenie_configs": {"api_key": ("api_key_file", "0.25.0")},
    "victorops_configs": {"api_key": ("api_key_file", "0.25.0")},
    "webhook_configs": {"url": ("url_file", "0.26.0")},
    "telegram_configs": {"bot_token": ("bot_token_file", "0.26.0")},
    "discord_configs": {"webhook_url": ("webhook_url_file", "0.26.0")},
    "msteams_configs": {"webhook_url": ("webhook_url_file", "0.26.0")},
    "msteamsv2_configs": {"webhook_url": ("webhook_url_file", "0.28.0")},
    "pushover_configs": {"user_key": ("user_key_file", "0.26.0"), "token": ("token_file", "0.26.0")},
    "wechat_configs": {"api_secret": ("api_secret_file", "0.31.0")},
    "rocketchat_configs": {"token": ("token_file", "0.28.0"), "token_id": ("token_id_file", "0.28.0")},
    "incidentio_configs": {"url": ("url_file", "0.29.0"),
                           "alert_source_token": ("alert_source_token_file", "0.29.0")},
    "mattermost_configs": {"webhook_url": ("webhook_url_file", "0.30.0")},
    # their secrets are in http_config (webex: authorization; jira: basic_auth or authorization)
    "webex_configs": {},
    "jira_configs": {},
    "sns_configs": {},
}
# receiver types younger than the oldest version we support (Debian's 0.28.1 build leaves Jira out:
# its amtool refuses jira_configs, and so does the role's validation)
RECEIVER_TYPES_SINCE = {"msteams_configs": "0.26.0", "msteamsv2_configs": "0.28.0", "rocketchat_configs": "0.28.0",
                        "jira_configs": "0.28.0", "incidentio_configs": "0.29.0", "mattermost_configs": "0.30.0"}
# a webhook URL may stay inline where the version has no url_file; the others never do
INLINE_WHEN_UNSUPPORTED = {("webhook_configs", "url")}
# secrets that no version reads from a file: inline only when the caller allows it (SNS can also
# sign in without keys, with the host's AWS profile or role_arn)
WITHOUT_FILE_FORM = {"sns_configs": {"sigv4": ("access_key", "secret_key")}}
_MATCHER_PAIRS = (("match", "match_re", "matchers"),
                  ("source_match", "source_match_re", "source_matchers"),
                  ("target_match", "target_match_re", "target_matchers"))


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


def _group_interval_problems(route, where, inherited, shortest):
    """Routes whose group_interval (inherited down the tree) is under shortest seconds."""
    interval = route.get("group_interval", inherited)
    try:
        seconds = duration_seconds(interval)
    except ValueError:
        raise AnsibleFilterError("%s.group_interval: %r is not a duration; write it like 10s, 5m or 1h"
                                 % (where, interval))
    problems = []
    if seconds < shortest:
        problems.append("%s (receiver %s): group_interval %s" % (where, route.get("receiver", "inherited"), interval))
    for index, child in enumerate(route.get("routes") or []):
        problems.extend(_group_interval_problems(child, "%s.routes.%d" % (where, index), interval, shortest))
    return problems


def _check_cluster_timing(route, cluster_size, peer_timeout):
    if int(cluster_size or 0) < 2:
        return
    try:
        timeout = duration_seconds(peer_timeout)
    except ValueError:
        raise AnsibleFilterError("peer_timeout %r is not a duration; write it like 5s" % (peer_timeout,))
    shortest = int(cluster_size) * timeout
    problems = _group_interval_problems(route, "route", "5m", shortest)
    if problems:
        raise AnsibleFilterError(
            "alertmanager_route: in a cluster of %d members with a peer timeout of %s, a group_interval "
            "under %d x %s = %gs makes the last member send alert states the first has already "
            "superseded (a firing notification after the resolved one): %s. Raise those group_interval "
            "values or lower alertmanager_cluster_peer_timeout (each member must still finish a "
            "notification within it)."
            % (int(cluster_size), peer_timeout, int(cluster_size), peer_timeout, shortest, "; ".join(problems)))


def _dotted(version):
    return ".".join(str(part) for part in version)


def _move_secrets(node, secrets, where, path, directory, version, files, inline, inline_kind=""):
    """node's secret fields to their file fields where this version reads them; returns the node."""
    for field, (file_field, since) in secrets.items():
        supported = version >= version_tuple(since)
        if file_field in node and not supported:
            raise AnsibleFilterError(
                "%s: %s needs Alertmanager %s or later, and %s will be installed. Nothing was "
                "changed. Install a newer Alertmanager (alertmanager_version) or give %s instead."
                % (where, file_field, since, _dotted(version), field))
        if isinstance(node.get(field), str) and node[field] != "":
            if supported:
                node = move_secret(node, field, file_field, path, directory, files)
            elif (inline_kind, field) in INLINE_WHEN_UNSUPPORTED:
                refuse_env_reference(where + "." + field, node[field])
                inline.append((field, node[field]))
            else:
                raise AnsibleFilterError(
                    "%s: Alertmanager %s cannot read %s from a file (%s needs %s), and secrets "
                    "are never written into alertmanager.yml. Nothing was changed. Install Alertmanager "
                    "%s or later (alertmanager_version)." % (where, _dotted(version), field, file_field, since, since))
    return node


def _keep_inline(config, kind, where, allow_inline, inline):
    """The secrets no version reads from a file: kept inline (listed for masking) only when allowed."""
    for block, fields in WITHOUT_FILE_FORM.get(kind, {}).items():
        for field in fields:
            value = (config.get(block) or {}).get(field) if isinstance(config.get(block), dict) else None
            if not isinstance(value, str) or value == "":
                continue
            refuse_env_reference("%s.%s.%s" % (where, block, field), value)
            if not allow_inline:
                raise AnsibleFilterError(
                    "%s: %s.%s has no file form in any Alertmanager version, and secrets are never written "
                    "into alertmanager.yml unless you allow it. Nothing was changed. Either sign in without "
                    "it (an AWS profile or role_arn on the host), or set alertmanager_inline_secrets_allowed: "
                    "true to keep it in alertmanager.yml (0640, masked in every diff)." % (where, block, field))
            inline.append((field, value))


def _receiver(receiver, index, directory, version, files, inline, allow_inline):
    name = receiver.get("name")
    if not name:
        raise AnsibleFilterError("receivers[%d] has no name; every receiver needs one" % index)
    out = {}
    for kind, configs in receiver.items():
        since = RECEIVER_TYPES_SINCE.get(kind)
        if since and version < version_tuple(since):
            raise AnsibleFilterError(
                "receiver %r: %s needs Alertmanager %s or later, and %s will be installed. Nothing was changed. "
                "Install a newer Alertmanager (alertmanager_version) or use another receiver type."
                % (name, kind, since, _dotted(version)))
        if kind not in RECEIVER_SECRETS or not isinstance(configs, list):
            out[kind] = walk(configs, ["receivers", name, kind], directory, HTTP_FIELDS, files) \
                if kind != "name" else configs
            continue
        out[kind] = []
        for position, config in enumerate(configs):
            path = ["receivers", name, kind.replace("_configs", ""), str(position)]
            where = "receiver %r %s[%d]" % (name, kind, position)
            config = _move_secrets(dict(config), RECEIVER_SECRETS[kind], where, path, directory, version, files,
                                   inline, kind)
            _keep_inline(config, kind, where, allow_inline, inline)
            out[kind].append(walk(config, path, directory, HTTP_FIELDS, files))
    return out


def _inline_keys(version):
    """Every field that may hold an inline secret on this version, whether one is there now or not:
    a diff masks their values on its old side too, where a removed secret would otherwise show."""
    keys = set(field for blocks in WITHOUT_FILE_FORM.values() for fields in blocks.values() for field in fields)
    for kind, field in INLINE_WHEN_UNSUPPORTED:
        if version < version_tuple(RECEIVER_SECRETS[kind][field][1]):
            keys.add(field)
    return sorted(keys)


def alertmanager_config(sections, directory, version, allow_inline=False, cluster_size=0, peer_timeout="15s"):
    if not isinstance(sections, dict):
        raise AnsibleFilterError("alertmanager_config expects a dict of sections, got %s" % type(sections).__name__)
    wanted = version_tuple(version)
    files = []
    warnings = []
    inline = []
    data = {}
    global_section = dict(sections.get("global") or {})
    global_section = _move_secrets(global_section, GLOBAL_SECRETS, "global", ["global"], directory, wanted,
                                   files, inline)
    global_section = walk(global_section, ["global"], directory, HTTP_FIELDS, files)
    if global_section:
        data["global"] = global_section
    if sections.get("templates"):
        data["templates"] = list(sections["templates"])
    data["route"] = _convert_route(dict(sections.get("route") or {}), "route", warnings)
    _check_cluster_timing(data["route"], cluster_size, peer_timeout)
    if sections.get("inhibit_rules"):
        data["inhibit_rules"] = [_convert_matchers(rule, "inhibit_rules.%d" % index, warnings)
                                 for index, rule in enumerate(sections["inhibit_rules"])]
    data["receivers"] = [_receiver(receiver, index, directory, wanted, files, inline, allow_inline)
                         for index, receiver in enumerate(sections.get("receivers") or [])]
    if sections.get("time_intervals"):
        data["time_intervals"] = list(sections["time_intervals"])
    for warning in warnings:
        # Display keeps one copy of each message, however often the variable is templated
        Display().warning("alertmanager configuration: " + warning)
    return {"data": data, "files": files, "warnings": warnings,
            "inline_secrets": sorted(set(value for _key, value in inline)),
            "inline_keys": _inline_keys(wanted)}


class FilterModule(object):
    def filters(self):
        return {"alertmanager_config": alertmanager_config}
