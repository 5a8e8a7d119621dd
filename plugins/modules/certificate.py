#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate
short_description: A host's TLS certificate, from an internal CA on the controller or checked when it is your own
version_added: 0.4.0
description:
  - Runs on the controller only; nothing is sent to the host, and the CA's key never leaves the controller.
  - Without a certificate of your own, keeps a CA in O(pki_dir) (C(ca.key) 0600, C(ca.crt)) and a key and
    certificate per host in C(hosts/) (the key 0600), creating the CA on first use. A host's certificate is
    issued again, with the same key, when its SANs do not cover O(names), when it expires within
    O(renew_days), or when another CA issued it; otherwise it is left as it is.
  - With O(cert), O(key) and O(ca) given, checks them and changes nothing - the key must be the
    certificate's, the certificate unexpired, its SANs must cover O(names), and the CA bundle must verify it.
  - Returns C(cert), C(key) and C(ca) (PEM) - not as facts, which a fact cache would keep on disk. The
    result holds the key, so it is never shown, even with C(-vvv); a failure's message is.
  - In check mode a missing CA, key or certificate is made in memory and not written.
options:
  pki_dir:
    description: The CA's directory on the controller (created 0700).
    type: path
  name:
    description: The host's name; its files are C(hosts/NAME.crt) and C(hosts/NAME.key), and its certificate's common name.
    type: str
    required: true
  names:
    description: DNS names and IP addresses the certificate must cover (its subject alternative names).
    type: list
    elements: str
    required: true
  valid_days:
    description: Lifetime of a host certificate issued (never past the CA's).
    type: int
    default: 365
  renew_days:
    description: A host certificate that expires within this many days is issued again.
    type: int
    default: 30
  ca_valid_days:
    description: Lifetime of a CA created.
    type: int
    default: 3650
  ca_common_name:
    description: Common name of a CA created.
    type: str
    default: tda.monitoring internal CA
  cert:
    description: A certificate of your own (PEM); with O(key) and O(ca).
    type: str
    default: ""
  key:
    description: Its unencrypted private key (PEM).
    type: str
    default: ""
  ca:
    description: The CA bundle that verifies O(cert) (PEM).
    type: str
    default: ""
attributes:
  check_mode:
    description: Writes nothing; what is missing is made in memory.
    support: full
  diff_mode:
    description: No diff (the files hold a key).
    support: none
requirements:
  - cryptography on the controller
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: This host's certificate, from the internal CA
  tda.monitoring.certificate:
    pki_dir: "{{ lookup('ansible.builtin.env', 'HOME') }}/.local/share/tda.monitoring/pki/prod"
    name: "{{ inventory_hostname }}"
    names: ["{{ inventory_hostname }}", "{{ ansible_host }}", localhost, 127.0.0.1]
  register: issued
'''

RETURN = r'''
reason:
  description: Why the certificate was issued (C(new key), C(new names ...), C(expires on ...)); empty when it was kept.
  returned: success
  type: str
names:
  description: The names asked for.
  returned: success
  type: list
  elements: str
cert:
  description: The host's certificate (PEM).
  returned: success
  type: str
key:
  description: The host's private key (PEM); the result is never shown.
  returned: success
  type: str
ca:
  description: The CA bundle that verifies it (PEM).
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        pki_dir=dict(type="path"), name=dict(type="str", required=True),
        names=dict(type="list", elements="str", required=True),
        valid_days=dict(type="int", default=365), renew_days=dict(type="int", default=30),
        ca_valid_days=dict(type="int", default=3650),
        ca_common_name=dict(type="str", default="tda.monitoring internal CA"),
        cert=dict(type="str", default=""), key=dict(type="str", default="", no_log=True),
        ca=dict(type="str", default="")), supports_check_mode=True)
    module.fail_json(msg="tda.monitoring.certificate runs on the controller through its action plugin")


if __name__ == "__main__":
    main()
