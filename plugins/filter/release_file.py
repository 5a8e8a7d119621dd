# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: release_file
short_description: File name of an upstream Prometheus-style release archive
version_added: 0.1.0
description:
  - Returns C(NAME-VERSION.linux-ARCH.tar.gz), the name the Prometheus projects give their
    release archives. The companion filter C(tda.monitoring.release_stem) returns the
    directory inside it, C(NAME-VERSION.linux-ARCH).
positional: _input, name, version
options:
  _input:
    description: Debian-style architecture (amd64, arm64, armv7...).
    type: str
    required: true
  name:
    description: Project name (node_exporter, prometheus...).
    type: str
    required: true
  version:
    description: Version without a leading v.
    type: str
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: node_exporter-1.9.0.linux-arm64.tar.gz
  ansible.builtin.debug:
    msg: "{{ 'arm64' | tda.monitoring.release_file('node_exporter', '1.9.0') }}"
'''

RETURN = r'''
_value:
  description: The archive's file name.
  type: str
'''


def release_stem(arch, name, version):
    return "%s-%s.linux-%s" % (name, str(version).lstrip("v"), arch)


def release_file(arch, name, version):
    return release_stem(arch, name, version) + ".tar.gz"


class FilterModule(object):
    def filters(self):
        return {"release_file": release_file, "release_stem": release_stem}
