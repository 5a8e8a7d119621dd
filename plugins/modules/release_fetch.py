#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: release_fetch
short_description: Download, verify and unpack a release into the controller's cache, once for all hosts
version_added: 0.2.0
description:
  - Runs on the controller only (an action plugin); no host is touched. Used by the daemon role
    before any host changes, so a wrong checksum stops the play with every host as it was.
  - Reads the release's checksums (one list, or one C(FILE.sha256) per file) unless
    O(checksums) gives them, downloads each release file that is missing from O(cache) or does
    not match its sum, verifies it, and unpacks archives (into O(cache), or into a directory of
    their own when O(flat)). A bare binary or a jar is copied into a directory of its own.
  - A run that finds everything in the cache forks nothing and downloads nothing.
options:
  name:
    description: Project name, for messages.
    type: str
    required: true
  version:
    description: Release version, for messages.
    type: str
    required: true
  source:
    description: Base URL of the release (C(https://), C(http://) or C(file://) for an offline directory).
    type: str
    required: true
  cache:
    description: Cache directory on the controller, one per project, version and source.
    type: path
    required: true
  files:
    description: Release file names, one per architecture.
    type: list
    elements: str
    required: true
  stems:
    description: Directory in O(cache) holding each release file's content, in the order of O(files).
    type: list
    elements: str
    required: true
  checksums:
    description: sha256 of each release file by name; when empty they are read from O(checksums_file).
    type: dict
    default: {}
  checksums_file:
    description:
      - Name of the checksum list, or a pattern with C({file}) or C({stem}) (the release file without
        its archive extension) for one checksum file per release file.
    type: str
    default: sha256sums.txt
  proxy:
    description: HTTP(S) proxy for the downloads.
    type: str
    default: ''
  tree:
    description: The release is unpacked on each host as a whole tree; here it is only downloaded and verified.
    type: bool
    default: false
  flat:
    description: The archive has no top directory and is unpacked into its stem directory.
    type: bool
    default: false
  first_member:
    description: A file every unpacked release holds (the binary); its absence means unpack again.
    type: str
    default: ''
attributes:
  check_mode:
    description:
      - The controller's cache is filled in check mode too, so that check mode can compare binaries
        and validate with the verified release's own tools. No managed host changes, so check mode
        reports C(changed=false) (with a C(msg)); the real run that follows finds the cache filled.
    support: full
  diff_mode:
    description: No diff.
    support: none
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: node_exporter 1.9.0 for amd64 and arm64
  tda.monitoring.release_fetch:
    name: node_exporter
    version: 1.9.0
    source: https://github.com/prometheus/node_exporter/releases/download/v1.9.0
    cache: /var/cache/tda/node_exporter/1.9.0
    files: [node_exporter-1.9.0.linux-amd64.tar.gz, node_exporter-1.9.0.linux-arm64.tar.gz]
    stems: [node_exporter-1.9.0.linux-amd64, node_exporter-1.9.0.linux-arm64]
    first_member: node_exporter
  run_once: true
'''

RETURN = r'''
fetched:
  description: Release files downloaded by this run.
  returned: always
  type: list
  elements: str
cache:
  description: The cache directory.
  returned: always
  type: str
'''
