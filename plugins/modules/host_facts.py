#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: host_facts
short_description: The few facts the tda.monitoring roles use, at the cost of a ping
version_added: 0.2.0
description:
  - Sets C(ansible_facts) C(os_family), C(distribution), C(distribution_version),
    C(distribution_major_version), C(distribution_release) and C(architecture), under the names
    and with the values M(ansible.builtin.setup) gives them on Debian, read from C(/etc/os-release),
    C(/etc/debian_version) and C(uname).
  - The daemon roles call it only when the play gathered no facts. Its action plugin reads the
    three with one shell command over the connection and parses them on the controller, so no
    Python starts on the host (a tenth of M(ansible.builtin.setup) with its narrowest subset,
    which loads every fact collector); where that command fails, the module runs instead.
options: {}
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
from ansible_collections.tda.monitoring.plugins.module_utils.os_facts import facts, parse_os_release


def read(path):
    if not os.path.isfile(path):
        return ""
    with open(path) as handle:
        return handle.read()


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts=facts(parse_os_release(read("/etc/os-release")),
                                                        read("/etc/debian_version").strip() or None,
                                                        platform.machine()))


if __name__ == "__main__":
    main()
