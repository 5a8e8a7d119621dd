# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: secrets_to_files
short_description: Move secrets out of a Prometheus or Alertmanager config section into files
version_added: 0.1.0
description:
  - Walks a configuration structure. Every field named in O(fields) that holds a value is
    replaced by its C(*_file) counterpart pointing into O(directory), and the value is returned
    as a file to write (mode 0640, readable by the daemon's group only).
  - Returns C({data, files}); C(files) is a list of C({path, content}).
  - A value that already is a C(*_file) reference is left alone.
positional: _input, directory, prefix
options:
  _input:
    description: The configuration section (a dict or a list).
    type: raw
    required: true
  directory:
    description: Directory on the host for the secret files.
    type: str
    required: true
  prefix:
    description: File name prefix, for example C(remote_write).
    type: str
    required: true
  fields:
    description: Field name to the name of its file counterpart.
    type: dict
    default:
      password: password_file
      credentials: credentials_file
      client_secret: client_secret_file
      bearer_token: bearer_token_file
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: remote_write with its password in a file
  ansible.builtin.set_fact:
    remote_write: "{{ prometheus_remote_write | tda.monitoring.secrets_to_files('/etc/prometheus/secrets', 'remote_write') }}"
# remote_write.data   -> [{url: ..., basic_auth: {username: u, password_file: /etc/prometheus/secrets/remote_write_0_basic_auth_u_password}}]
# remote_write.files  -> [{path: /etc/prometheus/secrets/remote_write_0_basic_auth_u_password, content: s3cret}]
'''

RETURN = r'''
_value:
  description: C(data), the section with file references; C(files), the secrets to write.
  type: dict
'''

from ansible_collections.tda.monitoring.plugins.plugin_utils.secrets import HTTP_FIELDS, walk


def secrets_to_files(data, directory, prefix, fields=None):
    files = []
    result = walk(data, [prefix], directory, fields or HTTP_FIELDS, files)
    return {"data": result, "files": files}


class FilterModule(object):
    def filters(self):
        return {"secrets_to_files": secrets_to_files}
