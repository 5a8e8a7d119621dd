# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The files-a-configuration-names options of the validation modules."""

    DOCUMENTATION = r'''
options:
  referenced_files:
    description:
      - Files the configuration names (C(*_file) fields; the P(tda.monitoring.file_references#filter) filter
        lists them), each checked to exist and be readable by the user the module runs as (become the
        daemon's user). The tool accepts a path that does not exist; the daemon fails only when it reads it.
    type: list
    elements: dict
    default: []
    suboptions:
      field:
        description: Where the configuration names the file, for the message.
        type: str
        required: true
      path:
        description: The file.
        type: path
        required: true
  placed:
    description: Paths the same run puts in place (in check mode, not yet); not checked.
    type: list
    elements: path
    default: []
'''
