# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: scrape_targets
short_description: Scrape targets of inventory hosts, for file_sd files and Alertmanager lists
version_added: 0.1.0
description:
  - Given inventory host names, returns C(ADDRESS:PORT) for each. The address is the host's
    C(prometheus_target_host), else its C(ansible_host), else its inventory name.
  - With O(file_sd=true), returns file_sd entries instead, one per host, labelled C(host) with
    the inventory name plus O(labels).
positional: _input, hostvars, port
options:
  _input:
    description: Inventory host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: raw
    required: true
  port:
    description: Port to scrape.
    type: int
    required: true
  file_sd:
    description: Return file_sd entries instead of addresses.
    type: bool
    default: false
  labels:
    description: Extra labels for every file_sd entry.
    type: dict
    default: {}
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: node_exporter targets of the node_exporter group, as a file_sd file
  ansible.builtin.copy:
    content: "{{ groups['node_exporter'] | tda.monitoring.scrape_targets(hostvars, 9100, file_sd=true) | to_nice_yaml }}"
    dest: /etc/prometheus/file_sd/node.yml
    mode: "0644"
'''

RETURN = r'''
_value:
  description: C(ADDRESS:PORT) strings, or file_sd entries (C(targets), C(labels)).
  type: list
'''

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.tda.monitoring.plugins.plugin_utils.shards import guard, owns, shard_of


def _address(hostvars, host):
    variables = hostvars[host]
    for key in ("prometheus_target_host", "ansible_host"):
        value = variables.get(key) if hasattr(variables, "get") else None
        if value:
            return str(value)
    return str(host)


def scrape_targets(hosts, hostvars, port, file_sd=False, labels=None):
    out = []
    for host in hosts or []:
        target = "%s:%s" % (_address(hostvars, host), port)
        if file_sd:
            entry_labels = {"host": str(host)}
            entry_labels.update(labels or {})
            out.append({"targets": [target], "labels": entry_labels})
        else:
            out.append(target)
    return out


def scrape_job_targets(job, groups, hostvars):
    """file_sd entries of one job: its inventory group's hosts, then its fixed targets."""
    entries = scrape_targets(groups.get(job.get("group"), []) if job.get("group") else [], hostvars,
                             job.get("port"), file_sd=True, labels=job.get("labels"))
    for target in job.get("targets") or []:
        entries.append({"targets": [target], "labels": dict(job.get("labels") or {})})
    return entries


def scrape_jobs_file_sd(jobs, groups, hostvars, file_sd_dir, shard=None):
    """One file_sd file per job, as tda.monitoring.file_set entries, holding the targets of shard
    (all without one). The content is JSON, which Prometheus's YAML reader takes as it is, and
    which dumps ten times faster than YAML at thousands of targets."""
    return [{"dest": "%s/%s.yml" % (file_sd_dir.rstrip("/"), job["job_name"]),
             "content": json.dumps([entry for entry in scrape_job_targets(job, groups, hostvars)
                                    if owns(shard, entry["targets"][0])], indent=1, sort_keys=True) + "\n"}
            for job in jobs]


def _with_guard(config, shard):
    """The shard's hashmod guard before the job's own relabelling."""
    if shard:
        config["relabel_configs"] = guard(shard) + list(config.get("relabel_configs") or [])
    return config


def scrape_job_config(job, file_sd_dir, shard=None):
    """The scrape config of one job: its file_sd file, plus the job's own settings."""
    config = {"job_name": job["job_name"],
              "file_sd_configs": [{"files": ["%s/%s.yml" % (file_sd_dir.rstrip("/"), job["job_name"])]}]}
    config.update(job.get("config") or {})
    return _with_guard(config, shard)


def probe_job_config(job, exporter, shard=None):
    """A blackbox_exporter job from a plain list of probe targets: each target becomes the
    exporter's ?target= parameter and the series' instance label; the exporter is scraped."""
    if not job.get("targets"):
        raise AnsibleFilterError("probe job %r has no targets" % job.get("job_name"))
    address = job.get("exporter") or exporter
    if not address:
        raise AnsibleFilterError("probe job %r: no blackbox_exporter to send the probes through; give the job an "
                                 "exporter (host:port) or put one host in the prometheus role's blackbox group"
                                 % job.get("job_name"))
    probe_rewrite = [{"source_labels": ["__address__"], "target_label": "__param_target"},
                     {"source_labels": ["__param_target"], "target_label": "instance"},
                     {"target_label": "__address__", "replacement": address}]
    config = {"job_name": job["job_name"], "metrics_path": "/probe",
              "params": {"module": [job.get("module", "http_2xx")]},
              # a shard probes the targets that hash to it, wherever the exporter is
              "static_configs": [{"targets": [target for target in job["targets"] if owns(shard, target)]}]}
    if job.get("labels"):
        config["static_configs"][0]["labels"] = dict(job["labels"])
    config.update(job.get("config") or {})
    config["relabel_configs"] = probe_rewrite + list(config.get("relabel_configs") or [])
    return _with_guard(config, shard)


def prometheus_shard(host, groups, shard_groups, count=0):
    try:
        return shard_of(host, groups, list(shard_groups or []), count)
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {"scrape_targets": scrape_targets, "scrape_job_targets": scrape_job_targets,
                "scrape_job_config": scrape_job_config, "scrape_jobs_file_sd": scrape_jobs_file_sd, "probe_job_config": probe_job_config,
                "prometheus_shard": prometheus_shard}
