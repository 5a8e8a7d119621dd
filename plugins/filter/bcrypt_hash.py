# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: bcrypt_hash
short_description: A password's bcrypt hash with a salt derived from a seed, computed once per task
version_added: 0.2.0
description:
  - Returns the bcrypt hash (C($2b$), the given cost) of the password with the salt
    P(tda.monitoring.bcrypt_salt#filter) derives from O(seed), so the same password gives the same
    hash on every run and a web config with basic-auth users does not change on a re-run.
  - The same result as C(password | password_hash('bcrypt', salt=seed | tda.monitoring.bcrypt_salt, rounds=rounds)).
    Ansible templates a role's variables each time they are read, and a task reads a web config's
    users several times; this filter keeps each result in the memory of the process that templates
    the task, so each hash is computed once per task instead of once per read (a bcrypt hash of cost
    12 takes about a quarter of a second of the controller's CPU). Nothing is written anywhere.
positional: _input, seed
options:
  _input:
    description: The password.
    type: str
    required: true
  seed:
    description: What the salt is derived from; unique per host, daemon and user.
    type: str
    required: true
  rounds:
    description: bcrypt's cost (log2 of its rounds), 4 to 31.
    type: int
    default: 12
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: A stable hash for a web-config user
  ansible.builtin.debug:
    msg: "{{ password | tda.monitoring.bcrypt_hash(inventory_hostname ~ 'node_exporter' ~ 'admin') }}"
'''

RETURN = r'''
_value:
  description: The bcrypt hash, C($2b$<cost>$) followed by the salt and the checksum.
  type: str
'''

import hashlib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.tda.monitoring.plugins.filter.bcrypt_salt import bcrypt_salt

try:
    import bcrypt
    HAS_BCRYPT = True
except ImportError:  # pragma: no cover - the controller's requirements pin it
    HAS_BCRYPT = False

# (sha256 of the password, salt, cost) -> hash, for the life of this process (one task's worker)
_HASHED = {}


def bcrypt_hash(password, seed, rounds=12):
    if not HAS_BCRYPT:
        raise AnsibleFilterError("tda.monitoring.bcrypt_hash needs the Python package bcrypt on the controller "
                                 "(pip install bcrypt, as requirements.txt pins it)")
    rounds = int(rounds)
    if not 4 <= rounds <= 31:
        raise AnsibleFilterError("tda.monitoring.bcrypt_hash: rounds must be 4 to 31, not %d" % rounds)
    secret = to_bytes(password, errors="surrogate_or_strict")
    if len(secret) > 72:
        # bcrypt reads 72 bytes: a longer password would be accepted by its first 72 alone
        raise AnsibleFilterError("tda.monitoring.bcrypt_hash: a password longer than 72 bytes (bcrypt reads only 72)")
    salt = bcrypt_salt(seed)
    key = (hashlib.sha256(secret).digest(), salt, rounds)
    if key not in _HASHED:
        _HASHED[key] = to_text(bcrypt.hashpw(secret, to_bytes("$2b$%02d$%s" % (rounds, salt))))
    return _HASHED[key]


class FilterModule(object):
    def filters(self):
        return {"bcrypt_hash": bcrypt_hash}
