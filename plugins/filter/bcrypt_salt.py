# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: bcrypt_salt
short_description: A bcrypt salt derived from a seed, so a password hashes the same on every run
version_added: 0.1.0
description:
  - Returns 22 characters of bcrypt's alphabet derived (SHA-256) from the input. Used with
    C(password_hash('bcrypt', salt=...)) so that web configs with basic-auth users do not change
    on a re-run. Use a seed unique per host and user, such as C(inventory_hostname ~ user).
positional: _input
options:
  _input:
    description: The seed.
    type: str
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: A stable hash for a web-config user
  ansible.builtin.debug:
    msg: "{{ password | password_hash('bcrypt', salt=(inventory_hostname ~ 'admin') | tda.monitoring.bcrypt_salt) }}"
'''

RETURN = r'''
_value:
  description: A 22-character bcrypt salt.
  type: str
'''

import hashlib

from ansible.module_utils.common.text.converters import to_bytes

_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# the salt's last character carries only 2 significant bits in bcrypt's encoding
_LAST = ".Oeu"


def bcrypt_salt(seed):
    digest = hashlib.sha256(to_bytes(seed)).digest()
    return "".join(_ALPHABET[b % 64] for b in digest[:21]) + _LAST[digest[21] % 4]


class FilterModule(object):
    def filters(self):
        return {"bcrypt_salt": bcrypt_salt}
