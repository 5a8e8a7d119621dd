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
  - Projects that name or pack their releases otherwise (a bare binary, a jar) give a
    I(pattern).
positional: _input, name, version, pattern
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
  pattern:
    description:
      - The release file's name with C({name}), C({version}) and C({arch}) placeholders.
      - An empty pattern means C({name}-{version}.linux-{arch}.tar.gz).
    type: str
    default: ''
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: node_exporter-1.9.0.linux-arm64.tar.gz
  ansible.builtin.debug:
    msg: "{{ 'arm64' | tda.monitoring.release_file('node_exporter', '1.9.0') }}"

- name: cadvisor-v0.49.1-linux-amd64, a bare binary
  ansible.builtin.debug:
    msg: "{{ 'amd64' | tda.monitoring.release_file('cadvisor', '0.49.1', 'cadvisor-v{version}-linux-{arch}') }}"
'''

RETURN = r'''
_value:
  description: The archive's file name.
  type: str
'''


DEFAULT_PATTERN = "{name}-{version}.linux-{arch}.tar.gz"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def release_file(arch, name, version, pattern=""):
    return (pattern or DEFAULT_PATTERN).format(name=name, version=str(version).lstrip("v"), arch=arch)


def is_archive(file_name):
    return file_name.endswith(ARCHIVE_SUFFIXES)


def release_stem(arch, name, version, pattern=""):
    """The directory in the controller's cache that holds the release's files: the archive's top
    directory, or for a file that is not an archive (a bare binary, a jar) a directory of its own."""
    file_name = release_file(arch, name, version, pattern)
    for suffix in ARCHIVE_SUFFIXES:
        if file_name.endswith(suffix):
            return file_name[:-len(suffix)]
    return file_name + ".d"


def release_file_specs(archive_files, directory, what="files"):
    """The daemon role's archive_files as tda.monitoring.file_set entries read from directory,
    or (what='directories') the directories entries their destinations need."""
    if what == "directories":
        return [{"path": path} for path in sorted(set(entry["dest"].rsplit("/", 1)[0] or "/" for entry in archive_files))]
    return [{"dest": entry["dest"], "src": "%s/%s" % (directory.rstrip("/"), entry["src"]),
             "mode": entry.get("mode", "0755"), "optional": bool(entry.get("optional", False)), "kind": "release"}
            for entry in archive_files]


class FilterModule(object):
    def filters(self):
        return {"release_file": release_file, "release_stem": release_stem, "release_file_specs": release_file_specs}
