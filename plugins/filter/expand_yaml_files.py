# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: expand_yaml_files
short_description: A controller path as a list of YAML files (a directory's *.yml and *.yaml, sorted)
version_added: 0.1.0
description:
  - A file gives itself; a directory gives its C(*.yml) and C(*.yaml) files, sorted by name.
    Used by the roles to accept rule files or directories of them. Runs on the controller.
positional: _input
options:
  _input:
    description: A path on the controller.
    type: path
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Every rule file of a directory
  ansible.builtin.debug:
    msg: "{{ 'files/rules' | tda.monitoring.expand_yaml_files }}"
'''

RETURN = r'''
_value:
  description: Paths of YAML files.
  type: list
  elements: str
'''

import os

from ansible.errors import AnsibleFilterError


def expand_yaml_files(path):
    path = os.path.expanduser(str(path))
    if os.path.isdir(path):
        return [os.path.join(path, name) for name in sorted(os.listdir(path))
                if name.endswith((".yml", ".yaml")) and os.path.isfile(os.path.join(path, name))]
    if os.path.isfile(path):
        return [path]
    raise AnsibleFilterError("%s does not exist on the controller; fix the path in the role's rule variables" % path)


class FilterModule(object):
    def filters(self):
        return {"expand_yaml_files": expand_yaml_files}
