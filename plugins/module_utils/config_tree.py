# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a staged configuration set differs from the live one (config_set, file_set)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import filecmp
import os

MANIFEST = ".tda-config-set.json"


def tree(root):
    """Relative paths of the regular files under root (hidden staging metadata excluded)."""
    found = set()
    if not os.path.isdir(root):
        return found
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name == MANIFEST:
                continue
            found.add(os.path.relpath(os.path.join(base, name), root))
    return found


def meta(path):
    st = os.stat(path)
    return (st.st_mode & 0o7777, st.st_uid, st.st_gid)


def plan(staging, live, managed_dirs):
    """(updated, removed): files of staging that live lacks or holds otherwise, and files under
    live's managed_dirs that staging no longer has."""
    new = tree(staging)
    updated = sorted(p for p in new if not os.path.isfile(os.path.join(live, p))
                     or not filecmp.cmp(os.path.join(staging, p), os.path.join(live, p), shallow=False)
                     or meta(os.path.join(staging, p)) != meta(os.path.join(live, p)))
    managed = set()
    for directory in managed_dirs:
        managed |= {os.path.join(directory, p) for p in tree(os.path.join(live, directory))}
    removed = sorted(managed - new)
    return updated, removed
