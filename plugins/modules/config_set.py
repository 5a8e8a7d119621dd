#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: config_set
short_description: Swap a validated staging copy of a daemon's configuration in, keeping the previous set
version_added: 0.1.0
description:
  - A daemon's reloadable configuration (C(prometheus.yml) and its rule files, C(alertmanager.yml)
    and its templates) is rendered into O(staging) and validated there. This module then makes
    O(live) look exactly like O(staging), file by file with atomic renames, and keeps the files it
    replaced or removed in O(backup), so that O(state=restored) can put the previous set back
    when the daemon refuses the new one.
  - Only the paths present in O(staging) and the files under O(managed_dirs) are touched;
    anything else in O(live) (secrets, file_sd targets, the web config) is left alone.
  - O(state=compared) only reports whether a swap would change anything.
  - O(state=reset) makes O(staging) a copy of O(live) again, after a set that was refused (by the
    validator before the swap, or by the daemon after it), so that the next run with the
    configuration that is live finds its staged files in place and reports no change.
options:
  staging:
    description: Directory holding the new, validated set.
    type: path
    required: true
  live:
    description: Directory the daemon reads.
    type: path
    required: true
  backup:
    description: Directory where the replaced set is kept (its content is replaced on every swap).
    type: path
    required: true
  managed_dirs:
    description:
      - Subdirectories of O(live) (relative) fully owned by the set; files there that are not in
        O(staging) are removed (rule files we no longer manage, for example).
    type: list
    elements: str
    default: []
  state:
    description:
      - C(swapped) installs the staging set; C(restored) puts the backup back; C(compared) changes
        nothing; C(reset) puts the live set back into O(staging).
    type: str
    choices: [swapped, restored, compared, reset]
    default: swapped
attributes:
  check_mode:
    description: In check mode it reports what would change and changes nothing.
    support: full
  diff_mode:
    description: With --diff it lists the files updated and removed.
    support: full
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Swap the validated configuration in
  tda.monitoring.config_set:
    staging: /etc/prometheus/.staging
    live: /etc/prometheus
    backup: /etc/prometheus/.previous
    managed_dirs: [rules]
  register: swap

- name: The daemon refused it; put the previous set back
  tda.monitoring.config_set:
    staging: /etc/prometheus/.staging
    live: /etc/prometheus
    backup: /etc/prometheus/.previous
    state: restored

- name: And stage what is live again, so the next run with it changes nothing
  tda.monitoring.config_set:
    staging: /etc/prometheus/.staging
    live: /etc/prometheus
    backup: /etc/prometheus/.previous
    managed_dirs: [rules]
    state: reset
'''

RETURN = r'''
updated:
  description: Relative paths written into O(live) (or that would be).
  returned: always
  type: list
  elements: str
removed:
  description: Relative paths removed from O(live) (or that would be).
  returned: always
  type: list
  elements: str
'''

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.config_tree import MANIFEST, plan


def atomic_copy(src, dest):
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        os.makedirs(directory)
        st = os.stat(os.path.dirname(src))
        os.chmod(directory, st.st_mode & 0o7777)
        os.chown(directory, st.st_uid, st.st_gid)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tda-")
    os.close(fd)
    shutil.copyfile(src, tmp)
    st = os.stat(src)
    os.chmod(tmp, st.st_mode & 0o7777)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.replace(tmp, dest)


def swap(module, staging, live, backup, updated, removed):
    if os.path.isdir(backup):
        shutil.rmtree(backup)
    os.makedirs(backup, mode=0o750)
    st = os.stat(live)
    os.chown(backup, st.st_uid, st.st_gid)
    manifest = {"restore": [], "delete": []}
    for rel in updated + removed:
        current = os.path.join(live, rel)
        if os.path.isfile(current):
            atomic_copy(current, os.path.join(backup, rel))
            manifest["restore"].append(rel)
        else:
            manifest["delete"].append(rel)
    with open(os.path.join(backup, MANIFEST), "w") as handle:
        json.dump(manifest, handle)
    for rel in updated:
        atomic_copy(os.path.join(staging, rel), os.path.join(live, rel))
    for rel in removed:
        os.unlink(os.path.join(live, rel))


def restore(module, live, backup):
    path = os.path.join(backup, MANIFEST)
    if not os.path.isfile(path):
        module.fail_json(msg="%s holds no previous configuration set to restore (no %s); nothing was changed"
                         % (backup, MANIFEST))
    with open(path) as handle:
        manifest = json.load(handle)
    for rel in manifest["restore"]:
        atomic_copy(os.path.join(backup, rel), os.path.join(live, rel))
    for rel in manifest["delete"]:
        if os.path.isfile(os.path.join(live, rel)):
            os.unlink(os.path.join(live, rel))
    os.unlink(path)  # a backup is restored once
    return manifest["restore"], manifest["delete"]


def reset(staging, live, updated, removed):
    """Staging back to what live holds: its differing files from live, those live lacks removed."""
    for rel in updated + removed:
        source = os.path.join(live, rel)
        if os.path.isfile(source):
            atomic_copy(source, os.path.join(staging, rel))
        else:
            os.unlink(os.path.join(staging, rel))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            staging=dict(type="path", required=True),
            live=dict(type="path", required=True),
            backup=dict(type="path", required=True),
            managed_dirs=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["swapped", "restored", "compared", "reset"], default="swapped"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for key in ("staging", "live"):
        if not os.path.isdir(p[key]):
            module.fail_json(msg="%s directory %s does not exist" % (key, p[key]))
    if p["state"] == "restored":
        if module.check_mode:
            module.exit_json(changed=os.path.isfile(os.path.join(p["backup"], MANIFEST)), updated=[], removed=[])
        updated, removed = restore(module, p["live"], p["backup"])
        module.exit_json(changed=bool(updated or removed), updated=updated, removed=removed)

    updated, removed = plan(p["staging"], p["live"], p["managed_dirs"])
    changed = bool(updated or removed)
    result = dict(changed=changed, updated=updated, removed=removed)
    if changed:
        result["diff"] = dict(before="".join("%s\n" % r for r in sorted(updated + removed) if os.path.exists(
            os.path.join(p["live"], r))), after="".join("%s\n" % r for r in updated))
    if changed and not module.check_mode:
        if p["state"] == "swapped":
            swap(module, p["staging"], p["live"], p["backup"], updated, removed)
        elif p["state"] == "reset":
            reset(p["staging"], p["live"], updated, removed)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
