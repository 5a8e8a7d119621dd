# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus's duration syntax (1h30m, 15s, 2d, 500ms), shared by the controller and the hosts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Prometheus's model.ParseDuration: units largest first, each at most once
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNIT_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def duration_seconds(text):
    """Seconds in a Prometheus duration; ValueError when text is not one."""
    text = str(text).strip()
    if text == "0":
        return 0
    match = _DURATION.match(text)
    if not text or not match:
        raise ValueError("%r is not a duration" % text)
    return sum(int(value) * unit for value, unit in zip(match.groups(), _UNIT_SECONDS) if value)
