# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: file_references
short_description: The files a Prometheus or Alertmanager configuration names, field by field
version_added: 0.3.0
description:
  - Walks a configuration (the data of the C(prometheus_config) or C(alertmanager_config) filter)
    and returns every absolute path held by a field whose name ends in C(_file) (C(password_file),
    C(credentials_file), C(bearer_token_file), C(ca_file), C(cert_file), C(key_file), C(url_file),
    ...), with the field's place in the configuration.
  - promtool and amtool accept such a path when it does not exist; the daemon fails only when it
    reads it, at scrape or notification time. The validation modules check each one as the
    daemon's user (their O(tda.monitoring.prometheus_validate#module:referenced_files) option).
  - Relative paths (rule files, templates) are left out; the daemon's tool checks those.
positional: _input
options:
  _input:
    description: The configuration.
    type: dict
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: What prometheus.yml names, for the validator
  ansible.builtin.set_fact:
    references: "{{ prometheus_config_data | tda.monitoring.file_references }}"
  # [{'field': 'scrape_configs[2].basic_auth.password_file', 'path': '/etc/prometheus/secrets/scrape_api_password'}]
'''

RETURN = r'''
_value:
  description: One entry per field naming a file, in the configuration's order.
  type: list
  elements: dict
  contains:
    field:
      description: Where the field is, as C(section[index].key).
      type: str
    path:
      description: The absolute path it names.
      type: str
'''


def _walk(value, where, found):
    if isinstance(value, dict):
        for key, item in value.items():
            place = "%s.%s" % (where, key) if where else str(key)
            if str(key).endswith("_file") and isinstance(item, str) and item.startswith("/"):
                found.append({"field": place, "path": item})
            else:
                _walk(item, place, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, "%s[%d]" % (where, index), found)


def file_references(config):
    found = []
    _walk(config or {}, "", found)
    return found


class FilterModule(object):
    def filters(self):
        return {"file_references": file_references}
