# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: with_defaults
short_description: Give every entry of a list of dicts the same defaults
version_added: 0.3.0
description:
  - Returns each entry of O(_input) with the keys of O(defaults) it does not set itself, for
    file_set entries that share an owner, group and mode.
  - The same as C([defaults] | product(entries) | map('list') | map('combine') | list), in one step.
positional: _input, defaults
options:
  _input:
    description: The entries.
    type: list
    elements: dict
    required: true
  defaults:
    description: The keys every entry gets unless it sets them.
    type: dict
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: The staged files, group-readable by the daemon
  ansible.builtin.debug:
    msg: "{{ [{'dest': 'a.yml'}, {'dest': 'b.yml', 'mode': '0600'}] | tda.monitoring.with_defaults({'group': 'prometheus', 'mode': '0640'}) }}"
  # [{'group': 'prometheus', 'mode': '0640', 'dest': 'a.yml'}, {'group': 'prometheus', 'mode': '0600', 'dest': 'b.yml'}]
'''

RETURN = r'''
_value:
  description: The entries with the defaults filled in.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError


def with_defaults(entries, defaults):
    if not isinstance(defaults, dict):
        raise AnsibleFilterError("with_defaults: the defaults must be a dict, got %r" % (defaults,))
    out = []
    for entry in entries or []:
        if not isinstance(entry, dict):
            raise AnsibleFilterError("with_defaults: every entry must be a dict, got %r" % (entry,))
        merged = dict(defaults)
        merged.update(entry)
        out.append(merged)
    return out


class FilterModule(object):
    def filters(self):
        return {"with_defaults": with_defaults}
