# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sha256 of files on the controller, remembered while a file's size and mtime stay the same."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.tda.monitoring.plugins.module_utils.digest import sha256_of


def sha256_cached(path):
    """Release archives and binaries are hashed on every run otherwise (a quarter of a second
    for Prometheus); the memo sits beside the file and is ignored once the file changes."""
    st = os.stat(path)
    stamp = "%d %d" % (st.st_size, st.st_mtime_ns)
    memo = os.path.join(os.path.dirname(path), ".%s.tda-sha256" % os.path.basename(path))
    try:
        with open(memo) as handle:
            saved_stamp, saved_sum = handle.read().strip().rsplit(" ", 1)
        if saved_stamp == stamp:
            return saved_sum
    except (IOError, OSError, ValueError):
        pass
    value = sha256_of(path)
    try:
        with open(memo, "w") as handle:
            handle.write("%s %s\n" % (stamp, value))
    except (IOError, OSError):
        pass  # a read-only source is hashed again next time
    return value
