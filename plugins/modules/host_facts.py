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
  - The daemon roles call it only when the play gathered no facts; it costs about half of
    M(ansible.builtin.setup) with its narrowest subset, which loads every fact collector.
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

# the names setup gives the distributions it knows by their os-release ID
NAMES = {"debian": "Debian", "ubuntu": "Ubuntu", "rhel": "RedHat", "centos": "CentOS", "fedora": "Fedora",
         "rocky": "Rocky", "almalinux": "AlmaLinux", "opensuse-leap": "openSUSE Leap", "sles": "SLES",
         "alpine": "Alpine", "arch": "Archlinux", "raspbian": "Debian", "linuxmint": "Linux Mint"}
FAMILIES = {"debian": "Debian", "ubuntu": "Debian", "linuxmint": "Debian", "raspbian": "Debian", "rhel": "RedHat",
            "centos": "RedHat", "fedora": "RedHat", "rocky": "RedHat", "almalinux": "RedHat", "sles": "Suse",
            "opensuse-leap": "Suse", "alpine": "Alpine", "arch": "Archlinux"}


def os_release(path="/etc/os-release"):
    values = {}
    if os.path.isfile(path):
        with open(path) as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep:
                    values[key] = value.strip().strip('"').strip("'")
    return values


def facts(release, debian_version=None):
    ident = release.get("ID", "").lower()
    version = release.get("VERSION_ID", "")
    if ident == "debian" and debian_version and debian_version[:1].isdigit():
        version = debian_version  # setup reads the point release (12.7) from /etc/debian_version
    family = FAMILIES.get(ident) or next((FAMILIES[like] for like in release.get("ID_LIKE", "").split()
                                          if like in FAMILIES), ident.capitalize() or "unknown")
    return {"os_family": family,
            "distribution": NAMES.get(ident, ident.capitalize() or "unknown"),
            "distribution_version": version,
            "distribution_major_version": version.split(".")[0] if version else "",
            "distribution_release": release.get("VERSION_CODENAME", ""),
            "architecture": platform.machine()}


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    debian_version = None
    if os.path.isfile("/etc/debian_version"):
        with open("/etc/debian_version") as handle:
            debian_version = handle.read().strip()
    module.exit_json(changed=False, ansible_facts=facts(os_release(), debian_version))


if __name__ == "__main__":
    main()
