#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: service_ready
short_description: A daemon's unit enabled and running, and the daemon answering, in one round trip
version_added: 0.2.0
description:
  - Enables and starts the systemd unit O(name) when it is not, then waits until the daemon
    answers O(url) with HTTP 200, or accepts TCP connections on O(host):O(port) when it cannot be
    asked over HTTP (client certificates required). Fails naming the unit, the address, the
    last answer and the journal's last lines when it does not answer within O(wait) seconds.
  - Restarts are left to the daemon role, which restarts one HA member at a time and calls
    this module on the hosts that need no restart.
options:
  name:
    description: Unit name.
    type: str
    required: true
    aliases: [unit]
  url:
    description: Health URL answered with HTTP 200 once the daemon serves.
    type: str
  host:
    description: Address for the TCP check, when O(url) is not given.
    type: str
    default: 127.0.0.1
  port:
    description: Port for the TCP check, when O(url) is not given.
    type: int
  wait:
    description: Seconds to wait for the daemon to answer.
    type: int
    default: 30
  daemon_reload:
    description: Have systemd read its unit files first (a unit that was just written).
    type: bool
    default: false
  restart:
    description: Restart the unit (start it when it is not running) instead of only starting it when it is not running.
    type: bool
    default: false
extends_documentation_fragment:
  - tda.monitoring.api
attributes:
  check_mode:
    description: In check mode it reports whether the unit would be enabled or started, and asks a running daemon only.
    support: full
  diff_mode:
    description: No diff.
    support: none
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: node_exporter runs and serves its metrics
  tda.monitoring.service_ready:
    name: node_exporter
    url: http://127.0.0.1:9100/metrics

- name: Prometheus, behind basic auth and TLS with a private CA
  tda.monitoring.service_ready:
    name: prometheus
    url: https://127.0.0.1:9090/-/ready
    url_username: admin
    url_password: "{{ vault_prometheus_admin_password }}"
    validate_certs: false
'''

RETURN = r'''
enabled:
  description: Whether the unit was enabled by this run (or would be).
  returned: always
  type: bool
started:
  description: Whether the unit was started or restarted by this run (or would be).
  returned: always
  type: bool
waited:
  description: Seconds spent waiting for the daemon to answer.
  returned: always
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.api_client import http_argument_spec
from ansible_collections.tda.monitoring.plugins.module_utils.service_state import (
    answers, has_exited, is_active, is_enabled, journal, systemctl)


def main():
    spec = http_argument_spec()
    spec.update(
        name=dict(type="str", required=True, aliases=["unit"]),
        url=dict(type="str"),
        host=dict(type="str", default="127.0.0.1"),
        port=dict(type="int"),
        wait=dict(type="int", default=30),
        daemon_reload=dict(type="bool", default=False),
        restart=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=[("url", "port")])
    p = module.params
    name = p["name"]
    result = dict(changed=False, enabled=False, started=False, waited=0.0)
    if p["daemon_reload"] and not module.check_mode:
        rc, out, err = systemctl(module, "daemon-reload")
        if rc != 0:
            module.fail_json(msg="systemctl daemon-reload failed: %s" % (err or out).strip(), **result)
    if not is_enabled(module, name):
        result.update(changed=True, enabled=True)
        if not module.check_mode:
            rc, out, err = systemctl(module, "enable", name)
            if rc != 0:
                module.fail_json(msg="systemctl enable %s failed: %s" % (name, (err or out).strip()), **result)
    if p["restart"] or not is_active(module, name):
        result.update(changed=True, started=True)
        if module.check_mode:
            module.exit_json(**result)
        action = "restart" if p["restart"] else "start"
        rc, out, err = systemctl(module, action, name)
        if rc != 0:
            module.fail_json(msg="systemctl %s %s failed: %s. Its journal: %s"
                                 % (action, name, (err or out).strip(), journal(module, name)), **result)
    started = time.time()
    while True:
        problem = answers(p["url"], p["host"], p["port"], p)
        if problem is None:
            break
        # a daemon that exited (a flag it refuses, a file it cannot read) will not answer: no wait
        if has_exited(module, name):
            module.fail_json(msg="%s exited instead of serving (%s). Its journal: %s"
                                 % (name, problem, journal(module, name)), **result)
        if time.time() - started >= p["wait"]:
            module.fail_json(msg="%s runs but did not answer within %ds: %s. Its journal: %s"
                                 % (name, p["wait"], problem, journal(module, name)), **result)
        time.sleep(0.5)
    result["waited"] = round(time.time() - started, 2)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
