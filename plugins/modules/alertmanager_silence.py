#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: alertmanager_silence
short_description: Create, update and expire Alertmanager silences, idempotently
version_added: 0.1.0
description:
  - Manages one silence through the Alertmanager v2 API.
  - A silence is identified by its O(matchers), O(comment) and O(created_by); among the
    active and pending silences of that identity the module creates, extends or expires one.
  - An existing silence is up to date when its end is within O(tolerance) of the requested
    end; a re-run shortly after a run changes nothing.
options:
  url:
    description: Base URL of Alertmanager.
    type: str
    default: http://127.0.0.1:9093
  matchers:
    description:
      - The silence's matchers. Each is either a string in Alertmanager's syntax
        (C(severity="critical"), C(instance=~"api-.*"), C(env!="lab")) or a dict.
    type: list
    elements: raw
    required: true
  comment:
    description: Why the silence exists; part of its identity.
    type: str
    required: true
  created_by:
    description: Who creates it; part of its identity.
    type: str
    default: ansible
  duration:
    description: How long from now the silence lasts (C(30s), C(15m), C(2h), C(1d)). Ignored when O(ends_at) is given.
    type: str
    default: 1h
  ends_at:
    description: Absolute end, RFC 3339 (C(2026-11-27T08:00:00Z)).
    type: str
  tolerance:
    description: How far the end of an existing silence may be from the requested end and still count as the same.
    type: str
    default: 5m
  state:
    description: C(present) makes sure the silence is active; C(absent) expires every active silence of this identity.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - tda.monitoring.api
attributes:
  check_mode:
    description: In check mode it reports what it would do and changes nothing.
    support: full
  diff_mode:
    description: With --diff it shows the state before and after.
    support: full
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Silence a host's alerts while it restarts
  tda.monitoring.alertmanager_silence:
    url: http://127.0.0.1:9093
    matchers:
      - instance=~"mon1(:[0-9]+)?"
    comment: rolling restart of mon1 by ansible
    duration: 10m

- name: Lift it again
  tda.monitoring.alertmanager_silence:
    url: http://127.0.0.1:9093
    matchers:
      - instance=~"mon1(:[0-9]+)?"
    comment: rolling restart of mon1 by ansible
    state: absent
'''

RETURN = r'''
silence_id:
  description: ID of the silence created or kept (present), or of the last one expired (absent).
  returned: when a silence exists or existed
  type: str
silence:
  description: The silence as Alertmanager reports it after the change.
  returned: when O(state=present)
  type: dict
expired:
  description: IDs of the silences expired.
  returned: when O(state=absent)
  type: list
  elements: str
'''

import datetime
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.api_client import Client, HTTPError, http_argument_spec
from ansible_collections.tda.monitoring.plugins.module_utils.durations import duration_seconds

_MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"?(.*?)\"?\s*$")
UTC = datetime.timezone.utc


def parse_duration(module, text, option):
    try:
        return datetime.timedelta(seconds=duration_seconds(text))
    except ValueError:
        module.fail_json(msg="%s=%r is not a duration; write it like 30s, 15m, 2h or 1d" % (option, text))


def parse_time(text):
    """RFC 3339 as Alertmanager writes it (fractions of a second, Z or an offset)."""
    text = text.strip().replace("Z", "+00:00")
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d)$", text)
    if not match:
        raise ValueError("not an RFC 3339 time: %s" % text)
    base = datetime.datetime.strptime(match.group(1) + match.group(3).replace(":", ""), "%Y-%m-%dT%H:%M:%S%z")
    if match.group(2):
        base += datetime.timedelta(microseconds=int(float(match.group(2)) * 1e6))
    return base.astimezone(UTC)


def format_time(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def normalise_matcher(module, item):
    if isinstance(item, dict):
        try:
            return dict(name=str(item["name"]), value=str(item["value"]),
                        isRegex=bool(item.get("isRegex", item.get("is_regex", False))),
                        isEqual=bool(item.get("isEqual", item.get("is_equal", True))))
        except KeyError:
            module.fail_json(msg="matcher %r needs a name and a value" % (item,))
    match = _MATCHER.match(str(item))
    if not match:
        module.fail_json(msg="matcher %r is not in Alertmanager's syntax; write it like severity=\"critical\" "
                             "or instance=~\"api-.*\"" % (item,))
    name, op, value = match.groups()
    return dict(name=name, value=value, isRegex=op in ("=~", "!~"), isEqual=op in ("=", "=~"))


def identity(matchers, comment, created_by):
    key = tuple(sorted((m["name"], m["value"], bool(m["isRegex"]), bool(m.get("isEqual", True))) for m in matchers))
    return key, comment, created_by


def main():
    spec = http_argument_spec()
    spec.update(
        url=dict(type="str", default="http://127.0.0.1:9093"),
        matchers=dict(type="list", elements="raw", required=True),
        comment=dict(type="str", required=True),
        created_by=dict(type="str", default="ansible"),
        duration=dict(type="str", default="1h"),
        ends_at=dict(type="str"),
        tolerance=dict(type="str", default="5m"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    matchers = [normalise_matcher(module, m) for m in p["matchers"]]
    if not matchers:
        module.fail_json(msg="a silence needs at least one matcher")
    wanted_identity = identity(matchers, p["comment"], p["created_by"])
    now = datetime.datetime.now(UTC)
    if p["ends_at"]:
        try:
            ends_at = parse_time(p["ends_at"])
        except ValueError as e:
            module.fail_json(msg="ends_at: %s; write it like 2026-11-27T08:00:00Z" % e)
    else:
        ends_at = now + parse_duration(module, p["duration"], "duration")
    tolerance = parse_duration(module, p["tolerance"], "tolerance")

    client = Client(module, p["url"])
    try:
        silences = client.get("/api/v2/silences") or []
    except HTTPError as e:
        module.fail_json(msg="cannot list silences: %s" % e)
    mine = [s for s in silences
            if s.get("status", {}).get("state") in ("active", "pending")
            and identity(s.get("matchers", []), s.get("comment"), s.get("createdBy")) == wanted_identity]
    result = dict(changed=False)

    if p["state"] == "absent":
        result["expired"] = [s["id"] for s in mine]
        if mine:
            result["changed"] = True
            result["silence_id"] = mine[-1]["id"]
            result["diff"] = dict(before={"silences": [s["id"] for s in mine]}, after={"silences": []})
            if not module.check_mode:
                for s in mine:
                    try:
                        client.delete("/api/v2/silence/%s" % s["id"])
                    except HTTPError as e:
                        module.fail_json(msg="cannot expire silence %s: %s" % (s["id"], e), **result)
        module.exit_json(**result)

    current = mine[0] if mine else None
    if current is not None:
        current_end = parse_time(current["endsAt"])
        if abs(current_end - ends_at) <= tolerance:
            result.update(silence_id=current["id"], silence=current)
            module.exit_json(**result)
    body = dict(matchers=matchers, startsAt=format_time(now), endsAt=format_time(ends_at),
                createdBy=p["created_by"], comment=p["comment"])
    if current is not None:
        body["id"] = current["id"]
        body["startsAt"] = current["startsAt"]
    before = {k: current[k] for k in ("matchers", "endsAt", "comment", "createdBy")} if current else {}
    result["diff"] = dict(before=before, after={k: body[k] for k in ("matchers", "endsAt", "comment", "createdBy")})
    result["changed"] = True
    if module.check_mode:
        result["silence"] = body
        module.exit_json(**result)
    try:
        created = client.post("/api/v2/silences", data=body)
        silence_id = created["silenceID"]
        result["silence"] = client.get("/api/v2/silence/%s" % silence_id)
    except (HTTPError, KeyError, TypeError) as e:
        module.fail_json(msg="cannot create the silence: %s" % e, **result)
    result["silence_id"] = silence_id
    module.exit_json(**result)


if __name__ == "__main__":
    main()
