# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read single samples from the Prometheus text exposition format (a daemon's /metrics)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re


def sample(text, name):
    """Value of the first sample of metric NAME (any labels), or None when absent."""
    pattern = re.compile(r"^%s(?:\{[^}]*\})?\s+(\S+)" % re.escape(name), re.M)
    match = pattern.search(text or "")
    if not match:
        return None
    try:
        return float(match.group(1))
    except ValueError:
        return None
