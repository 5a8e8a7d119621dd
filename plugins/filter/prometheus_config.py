# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: prometheus_config
short_description: Build prometheus.yml from the prometheus role's structured variables, secrets in files
version_added: 0.2.0
description:
  - Takes the parts of a Prometheus configuration as the C(tda.monitoring.prometheus) role holds
    them and returns C(data), the configuration, and C(files), the secrets to write.
  - C(global) gets the external labels, and the replica label when O(_input.replica) is set (a
    member of an HA pair).
  - C(alerting) lists the Alertmanagers, and C(rule_files) reads C(rules/*.yml); neither in agent mode.
    A member of an HA pair drops its replica label from the alerts it sends, so Alertmanager sees
    one alert from the pair, not two.
  - C(scrape_configs) are the raw ones first, then one file_sd job per entry of C(scrape_jobs)
    (see the C(scrape_job_config) filter), then one C(/probe) job per entry of C(probe_jobs)
    (see C(probe_job_config)). Two jobs of one name are an error naming both.
  - Every HTTP client secret (C(password), C(credentials), C(bearer_token), C(client_secret)) of
    a scrape job, of C(remote_write) and of C(remote_read) moves to a file in O(secrets_dir) and is
    replaced by its C(*_file) field; a C(${VAR}) placeholder is refused (Prometheus would send it
    literally). A scrape job's files are named after the job, so adding a job renames no file.
positional: _input, secrets_dir, file_sd_dir
options:
  _input:
    description: The parts of the configuration.
    type: dict
    required: true
    suboptions:
      global:
        description: The C(global) section (intervals, timeouts).
        type: dict
      external_labels:
        description: Labels every series and alert leaves this server with.
        type: dict
      replica_label:
        description: Name of the label that tells the members of an HA pair apart.
        type: str
      replica:
        description: This member's value of O(_input.replica_label); empty outside an HA pair.
        type: str
      shard:
        description:
          - This server's shard (C(index), C(count)) from the C(prometheus_shard) filter; empty
            without sharding.
          - Each scrape and probe job keeps only the targets that hash to the shard (file_sd files
            and probe lists already hold only those; a C(hashmod) relabel guard stays first in each
            job), and O(_input.shard_label) carries the index as an external label.
        type: dict
      shard_label:
        description: Name of the external label of the shard's index (C(shard) when not given).
        type: str
      alertmanagers:
        description: C(ADDRESS:PORT) of each Alertmanager.
        type: list
        elements: str
      alertmanager_http_config:
        description: >-
          How Prometheus reaches the Alertmanagers (C(scheme), C(tls_config), C(basic_auth), ...); its secrets
          and inline PEM move to files like a scrape job's.
        type: dict
      agent_mode:
        description: Agent mode (no rules, no alerting).
        type: bool
      scrape_configs:
        description: Scrape configs as Prometheus takes them.
        type: list
        elements: dict
      scrape_jobs:
        description: Jobs whose targets come from file_sd files (C(job_name), C(config)).
        type: list
        elements: dict
      probe_jobs:
        description: blackbox_exporter probe jobs (C(job_name), C(targets), C(module), C(exporter)).
        type: list
        elements: dict
      blackbox_exporter:
        description: C(ADDRESS:PORT) of the blackbox_exporter the probe jobs go through.
        type: str
      remote_write:
        description: The C(remote_write) section.
        type: list
        elements: dict
      remote_read:
        description: The C(remote_read) section.
        type: list
        elements: dict
      version:
        description:
          - The Prometheus version that will read the file (C(2.42.0)); empty when unknown, and then
            nothing is refused here (promtool still validates the file).
          - A part the version cannot read is an error naming the variable, the version it needs and
            the one that will be installed, before any host changes.
        type: str
      scrape_config_files:
        description: Files of further scrape configs (C(scrape_config_files), Prometheus 2.43 and later).
        type: list
        elements: str
      out_of_order_time_window:
        description: How far back samples may arrive out of order (C(storage.tsdb.out_of_order_time_window), 2.39 and later).
        type: str
      config_extra:
        description:
          - Any other top-level block, as Prometheus takes it (C(tracing), C(runtime), a newer
            version's block), validated by promtool with the rest.
          - A block that the other parts build is refused, naming the variable that sets it.
        type: dict
  secrets_dir:
    description: Directory on the host for the secret files.
    type: str
    required: true
  file_sd_dir:
    description: Directory on the host of the scrape jobs' file_sd files.
    type: str
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: prometheus.yml with its secrets in files
  ansible.builtin.set_fact:
    built: >-
      {{ {'global': {'scrape_interval': '15s'}, 'alertmanagers': ['am1:9093'],
          'scrape_jobs': [{'job_name': 'node', 'group': 'node_exporter', 'port': 9100}],
          'remote_write': [{'url': 'https://store:8428/api/v1/write',
                            'basic_auth': {'username': 'tda', 'password': vault_store_password}}]}
         | tda.monitoring.prometheus_config('/etc/prometheus/secrets', '/etc/prometheus/file_sd') }}
# built.data.remote_write[0].basic_auth -> {username: tda, password_file: /etc/prometheus/secrets/remote_write_0_basic_auth_tda_password}
# built.files -> [{path: /etc/prometheus/secrets/remote_write_0_basic_auth_tda_password, content: ...}]
'''

RETURN = r'''
_value:
  description: C(data), the configuration; C(files), the secrets to write (C(path), C(content)).
  type: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.tda.monitoring.plugins.filter.scrape_targets import probe_job_config, scrape_job_config
from ansible_collections.tda.monitoring.plugins.plugin_utils.secrets import HTTP_FIELDS, walk
from ansible_collections.tda.monitoring.plugins.plugin_utils.versions import older_than


def _scrape_configs(parts, secrets_dir, file_sd_dir, files):
    jobs = list(parts.get("scrape_configs") or [])
    shard = parts.get("shard") or None
    jobs += [scrape_job_config(job, file_sd_dir, shard) for job in parts.get("scrape_jobs") or []]
    jobs += [probe_job_config(job, parts.get("blackbox_exporter") or "", shard) for job in parts.get("probe_jobs") or []]
    seen = {}
    out = []
    for index, job in enumerate(jobs):
        name = job.get("job_name") if isinstance(job, dict) else None
        if not name:
            raise AnsibleFilterError("scrape job %d has no job_name: %r" % (index, job))
        if name in seen:
            raise AnsibleFilterError("scrape jobs %d and %d are both named %r (raw scrape_configs first, then "
                                     "scrape_jobs, then probe_jobs): Prometheus refuses a job name given twice; "
                                     "rename one" % (seen[name] + 1, index + 1, name))
        seen[name] = index
        out.append(walk(job, ["scrape", name], secrets_dir, HTTP_FIELDS, files))
    return out


# part -> (the role's variable, the first Prometheus that reads it)
PARTS_SINCE = {"out_of_order_time_window": ("prometheus_out_of_order_time_window", "2.39.0"),
               "scrape_config_files": ("prometheus_scrape_config_files", "2.43.0")}
# top-level blocks the parts build -> the variable to set instead of prometheus_config_extra
OWNED_BLOCKS = {"global": "prometheus_global / prometheus_external_labels",
                "alerting": "the alertmanager group and prometheus_alertmanager_http_config",
                "rule_files": "prometheus_rule_files / prometheus_rule_groups",
                "scrape_configs": "prometheus_scrape_configs / prometheus_scrape_jobs / prometheus_probe_jobs",
                "scrape_config_files": "prometheus_scrape_config_files",
                "remote_write": "prometheus_remote_write", "remote_read": "prometheus_remote_read"}


def _check_versions(parts):
    for part, (variable, since) in PARTS_SINCE.items():
        if parts.get(part) and older_than(parts.get("version"), since):
            raise AnsibleFilterError("%s needs Prometheus %s or later, and %s will be installed. Nothing was changed. "
                                     "Install a newer Prometheus (prometheus_version) or leave %s unset."
                                     % (variable, since, parts["version"], variable))


def _extra_blocks(parts, config):
    extra = dict(parts.get("config_extra") or {})
    owned = dict(OWNED_BLOCKS)
    if parts.get("out_of_order_time_window"):
        owned["storage"] = "prometheus_out_of_order_time_window"
    clashing = sorted(key for key in extra if key in owned)
    if clashing:
        raise AnsibleFilterError("prometheus_config_extra sets %s, which the role builds: set %s instead"
                                 % (", ".join(clashing), "; ".join(owned[key] for key in clashing)))
    config.update(extra)


def prometheus_config(parts, secrets_dir, file_sd_dir):
    if not isinstance(parts, dict):
        raise AnsibleFilterError("prometheus_config expects a dict of the configuration's parts, got %s"
                                 % type(parts).__name__)
    files = []
    global_section = dict(parts.get("global") or {})
    labels = dict(parts.get("external_labels") or {})
    if parts.get("replica"):
        labels[parts.get("replica_label") or "replica"] = parts["replica"]
    if parts.get("shard"):
        labels[parts.get("shard_label") or "shard"] = str(parts["shard"]["index"])
    if labels:
        global_section["external_labels"] = labels
    config = {"global": global_section}
    agent = bool(parts.get("agent_mode"))
    alertmanagers = list(parts.get("alertmanagers") or [])
    if alertmanagers and not agent:
        entry = dict(parts.get("alertmanager_http_config") or {})
        entry["static_configs"] = [{"targets": alertmanagers}]
        config["alerting"] = {"alertmanagers": walk([entry], ["alertmanagers"], secrets_dir, HTTP_FIELDS, files)}
        if parts.get("replica"):
            # both members of an HA pair send each alert: without their replica label it is one alert
            # to Alertmanager, deduplicated, not two
            config["alerting"]["alert_relabel_configs"] = [
                {"action": "labeldrop", "regex": parts.get("replica_label") or "replica"}]
    if not agent:
        config["rule_files"] = ["rules/*.yml"]
    _check_versions(parts)
    if parts.get("scrape_config_files"):
        config["scrape_config_files"] = list(parts["scrape_config_files"])
    config["scrape_configs"] = _scrape_configs(parts, secrets_dir, file_sd_dir, files)
    for section in ("remote_write", "remote_read"):
        if parts.get(section):
            config[section] = walk(list(parts[section]), [section], secrets_dir, HTTP_FIELDS, files)
    if parts.get("out_of_order_time_window"):
        config["storage"] = {"tsdb": {"out_of_order_time_window": parts["out_of_order_time_window"]}}
    _extra_blocks(parts, config)
    return {"data": config, "files": files}


def prometheus_feature_flags(version, native_histograms=False):
    """The flags of the features asked for, in the form the version takes; an error naming the
    variable where the version has none."""
    flags = []
    if native_histograms:
        if older_than(version, "2.40.0"):
            raise AnsibleFilterError("prometheus_native_histograms needs Prometheus 2.40.0 or later, and %s will be "
                                     "installed. Nothing was changed." % version)
        flags.append("--enable-feature=native-histograms")
    return flags


class FilterModule(object):
    def filters(self):
        return {"prometheus_config": prometheus_config, "prometheus_feature_flags": prometheus_feature_flags}
