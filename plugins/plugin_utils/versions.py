# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release versions as the filters compare them: an unknown one counts as the newest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re


def version_tuple(text):
    """(major, minor, patch) of the first X.Y.Z in text ("v3.5.3+ds1" -> (3, 5, 3)); (999, 0, 0)
    when there is none (empty, "unknown"), so a version not known yet is refused nothing."""
    found = re.findall(r"\d+\.\d+\.\d+", text or "")
    return tuple(int(part) for part in found[0].split(".")) if found else (999, 0, 0)


def older_than(version, since):
    """Whether version is known and older than since."""
    return version_tuple(version) < version_tuple(since)
