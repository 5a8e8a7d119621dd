#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: host_facts
short_description: The few facts the tda.monitoring roles use, and a refusal of hosts they do not support
version_added: 0.2.0
description:
  - Sets C(ansible_facts) C(os_family), C(distribution), C(distribution_version),
    C(distribution_major_version), C(distribution_release) and C(architecture), under the names
    and with the values M(ansible.builtin.setup) gives them on Debian, read from C(/etc/os-release),
    C(/etc/debian_version) and C(uname).
  - Its action plugin reads the three with one shell command over the connection and parses them
    on the controller, so no Python starts on the host (a tenth of M(ansible.builtin.setup) with its
    narrowest subset, which loads every fact collector); where that command fails, the module runs
    instead. With O(missing_only), a host whose facts are known already is not asked at all.
  - The daemon roles run it first, as their preflight check - one task for the facts and the
    refusal of an unsupported system or unusable parameters, before anything changes.
options:
  missing_only:
    description: Use the facts the play already has when it has these six; read them only when not.
    type: bool
    default: false
  supported:
    description: Distribution name to the major versions supported; any other host is refused.
    type: dict
    default: {}
  problems:
    description: Problems the caller found in its parameters; any refuses the run, each named in the message.
    type: list
    elements: str
    default: []
  label:
    description: What the refusal message starts with (the daemon's name).
    type: str
    default: ""
attributes:
  check_mode:
    description: Reads only.
    support: full
  diff_mode:
    description: No diff.
    support: none
  facts:
    description: Sets the facts named above.
    support: full
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Distribution and architecture, when the play did not gather facts
  tda.monitoring.host_facts:
  when: ansible_facts['distribution'] is not defined

- name: Facts when missing; refuse anything but Debian 12 and 13
  tda.monitoring.host_facts:
    missing_only: true
    supported: {Debian: ["12", "13"]}
    label: node_exporter
'''

RETURN = r'''
ansible_facts:
  description: The facts set.
  returned: always
  type: dict
  sample: {os_family: Debian, distribution: Debian, distribution_version: "12.7", distribution_major_version: "12",
           distribution_release: bookworm, architecture: x86_64}
'''

import os
import platform

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.os_facts import facts, parse_os_release, refusal


def read(path):
    if not os.path.isfile(path):
        return ""
    with open(path) as handle:
        return handle.read()


def main():
    module = AnsibleModule(argument_spec=dict(
        missing_only=dict(type="bool", default=False),
        supported=dict(type="dict", default={}),
        problems=dict(type="list", elements="str", default=[]),
        label=dict(type="str", default=""),
    ), supports_check_mode=True)
    found = facts(parse_os_release(read("/etc/os-release")), read("/etc/debian_version").strip() or None, platform.machine())
    refused = refusal(found, module.params["supported"], module.params["problems"], module.params["label"])
    if refused:
        module.fail_json(msg=refused, ansible_facts=found)
    module.exit_json(changed=False, ansible_facts=found)


if __name__ == "__main__":
    main()
