# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus shards on the controller: which shard a host is, and which targets are its own,
by the hash Prometheus's hashmod relabelling computes, so a shard's file_sd holds only its targets
and the relabel guard each job keeps drops nothing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import struct

SHARD_TEMP_LABEL = "__tmp_tda_shard"


def hashmod(value, modulus):
    """Prometheus's relabel action hashmod: the last 8 bytes of md5(value), big-endian, mod modulus."""
    return struct.unpack(">Q", hashlib.md5(value.encode("utf-8")).digest()[8:])[0] % modulus


def shard_of(host, groups, shard_groups, count=0):
    """{'index', 'count'} of host's shard: the position of the one group of shard_groups that holds
    it. {} when shard_groups is empty. ValueError naming what is wrong otherwise."""
    if not shard_groups:
        if count and int(count) > 1:
            raise ValueError("prometheus_shard_count is %s but prometheus_shard_groups is empty: list one inventory "
                             "group per shard" % count)
        return {}
    if count and int(count) != len(shard_groups):
        raise ValueError("prometheus_shard_count is %s but prometheus_shard_groups lists %d groups (%s): give one "
                         "group per shard" % (count, len(shard_groups), ", ".join(shard_groups)))
    empty = [name for name in shard_groups if not groups.get(name)]
    if empty:
        raise ValueError("shard group(s) %s have no host: their targets would never be scraped; add a Prometheus "
                         "to each, or remove the group from prometheus_shard_groups" % ", ".join(empty))
    holding = [index for index, name in enumerate(shard_groups) if host in groups.get(name, [])]
    if len(holding) != 1:
        raise ValueError("host %s is in %s of the shard groups (%s): put each Prometheus in exactly one"
                         % (host, "none" if not holding else " and ".join(shard_groups[i] for i in holding),
                            ", ".join(shard_groups)))
    return {"index": holding[0], "count": len(shard_groups)}


def owns(shard, address):
    """Whether the shard scrapes address (every address when there is no sharding)."""
    return not shard or hashmod(address, shard["count"]) == shard["index"]


def guard(shard):
    """The relabel rules that keep only the shard's targets, first in a job's relabel_configs; the
    hash is of __address__ as the target list gives it (for a probe job, the probed target)."""
    if not shard:
        return []
    return [{"source_labels": ["__address__"], "modulus": shard["count"], "target_label": SHARD_TEMP_LABEL,
             "action": "hashmod"},
            {"source_labels": [SHARD_TEMP_LABEL], "regex": str(shard["index"]), "action": "keep"}]
