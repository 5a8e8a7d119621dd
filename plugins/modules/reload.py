#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: reload
short_description: Reload a running daemon's configuration and prove that the new configuration is active
version_added: 0.1.0
description:
  - Asks a running daemon to reload, through its HTTP reload endpoint (C(POST /-/reload))
    or a SIGHUP to its systemd unit, then B(verifies) the reload instead of assuming it.
  - For C(prometheus), C(alertmanager) and C(blackbox_exporter) - the daemon's
    C(*_config_last_reload_successful) is 1 and its success timestamp is not older than the
    request.
  - For C(prometheus) also - every scrape job of O(config_file) is in the configuration
    Prometheus reports (C(/api/v1/status/config)) and has a scrape pool (a job with an unusable
    TLS file passes promtool and loads, yet gets no scrape pool).
  - For C(alertmanager) also - the configuration Alertmanager loaded is, byte for byte,
    O(config_file) (its C(alertmanager_config_hash) is the hash of the file).
  - For C(grafana) - the provisioning reload API of dashboards and datasources answers 200.
  - For C(nginx) (C(signal) only) - the unit's master process is the same and has a worker that
    was not there before the signal (nginx starts new workers only once the new configuration
    loaded, and keeps the old ones when it refuses it).
  - C(signal) sends SIGHUP to the unit's main process only.
  - On failure it fails with the daemon's reason, from its HTTP answer or its journal.
  - In check mode nothing is sent; the result says a reload would happen.
options:
  service:
    description: The kind of daemon.
    type: str
    required: true
    choices: [prometheus, alertmanager, blackbox_exporter, grafana, nginx]
  url:
    description:
      - Base URL of the daemon. Defaults to C(http://127.0.0.1) and the daemon's usual port
        (9090, 9093, 9115, 3000).
    type: str
  method:
    description:
      - C(http) posts to the reload endpoint (Prometheus needs C(--web.enable-lifecycle)).
        C(signal) sends SIGHUP to O(unit) through systemd. Grafana accepts only C(http).
    type: str
    choices: [http, signal]
    default: http
  unit:
    description: systemd unit of the daemon, for C(signal) and for reading its journal on failure. Defaults to O(service).
    type: str
  config_file:
    description:
      - The configuration file that must now be active. Used to compare with what the daemon
        reports (job names for Prometheus, the whole file for Alertmanager).
    type: path
  wait:
    description: Seconds to wait for the daemon to report the reload.
    type: int
    default: 30
  jobs_without_targets:
    description:
      - Prometheus jobs that have no target (a file_sd list of an empty inventory group). Prometheus
        makes no scrape pool for them, which for them is not a sign of a broken job.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - tda.monitoring.api
attributes:
  check_mode:
    description: In check mode it reports what it would do and changes nothing.
    support: full
  diff_mode:
    description: With --diff it shows the state before and after.
    support: none
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Reload Prometheus and prove the staged configuration is the one running
  tda.monitoring.reload:
    service: prometheus
    url: http://127.0.0.1:9090
    config_file: /etc/prometheus/prometheus.yml

- name: Reload Alertmanager behind basic auth and TLS
  tda.monitoring.reload:
    service: alertmanager
    url: https://alertmanager.example.com:9093
    url_username: admin
    url_password: "{{ vault_alertmanager_admin_password }}"
    ca_path: /etc/ssl/certs/monitoring-ca.pem
    config_file: /etc/alertmanager/alertmanager.yml
'''

RETURN = r'''
reloaded_at:
  description: Unix time the reload was requested.
  returned: success
  type: float
last_reload_success:
  description: The daemon's own success timestamp after the reload.
  returned: when the daemon exposes one
  type: float
jobs:
  description: Prometheus scrape jobs verified to be loaded and to have a scrape pool.
  returned: when O(service=prometheus)
  type: list
  elements: str
new_workers:
  description: The nginx workers that started after the signal.
  returned: when O(service=nginx)
  type: list
  elements: int
reason:
  description: The daemon's reason, when the reload failed.
  returned: failure
  type: str
'''

import hashlib
import os
import re
import struct
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.tda.monitoring.plugins.module_utils.exposition import sample
from ansible_collections.tda.monitoring.plugins.module_utils.api_client import Client, HTTPError, http_argument_spec

DEFAULT_PORTS = dict(prometheus=9090, alertmanager=9093, blackbox_exporter=9115, grafana=3000, nginx=443)
METRIC_PREFIX = dict(prometheus="prometheus", alertmanager="alertmanager", blackbox_exporter="blackbox_exporter")
_JOB_NAME = re.compile(r"^\s*-?\s*job_name:\s*[\"']?([^\"'\s#]+)", re.M)


def config_hash(data):
    """alertmanager_config_hash of a file's bytes: the first 48 bits of its MD5, little-endian."""
    return float(struct.unpack("<Q", hashlib.md5(data).digest()[:6] + b"\0\0")[0])


def job_names(config_text):
    return sorted(set(_JOB_NAME.findall(config_text or "")))


class Reloader(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.service = p["service"]
        self.unit = p["unit"] or p["service"]
        self.url = p["url"] or "http://127.0.0.1:%d" % DEFAULT_PORTS[self.service]
        self.client = Client(module, self.url)
        self.result = dict(changed=False)

    def fail(self, msg, reason=None):
        reason = reason or self.journal_reason()
        if reason:
            msg = "%s. The daemon says: %s" % (msg, reason)
        self.module.fail_json(msg=msg, reason=reason, **self.result)

    def journal_reason(self):
        """Last reload error lines of the unit's journal since the request."""
        since = self.result.get("reloaded_at")
        if not since:
            return None
        rc, out, _err = self.module.run_command(
            ["journalctl", "-u", self.unit, "--no-pager", "-o", "cat", "--since", "@%d" % int(since)])
        if rc != 0:
            return None
        lines = [line for line in out.splitlines() if re.search(r"error|fail", line, re.I)]
        return " | ".join(lines[-3:]) or None

    def metrics(self):
        return to_text(self.client.get("/metrics", headers={"Accept": "text/plain"}))

    def request_reload(self):
        self.result["reloaded_at"] = time.time()
        if self.module.params["method"] == "signal":
            # the main process only: nginx's workers would drop their connections on a SIGHUP of their own
            rc, _out, err = self.module.run_command(["systemctl", "kill", "--kill-whom=main", "--signal=HUP", self.unit])
            if rc != 0:
                self.fail("sending SIGHUP to %s failed: %s" % (self.unit, err.strip()))
            return
        if self.service == "grafana":
            for kind in ("dashboards", "datasources"):
                try:
                    self.client.post("/api/admin/provisioning/%s/reload" % kind)
                except HTTPError as e:
                    self.fail("Grafana did not reload its %s provisioning" % kind, reason=e.body or str(e))
            return
        try:
            self.client.post("/-/reload")
        except HTTPError as e:
            hint = ""
            if self.service == "prometheus" and e.status in (403, 404, 405):
                hint = " (Prometheus reloads over HTTP only with --web.enable-lifecycle; use method=signal)"
            self.fail("%s at %s refused the reload%s" % (self.service, self.url, hint), reason=(e.body or str(e)).strip())

    def wait_reload_reported(self):
        prefix = METRIC_PREFIX.get(self.service)
        if not prefix:
            return
        deadline = time.time() + self.module.params["wait"]
        requested = int(self.result["reloaded_at"])  # the daemon's timestamp has second resolution
        while True:
            try:
                text = self.metrics()
            except HTTPError as e:
                text, error = "", str(e)
            else:
                error = None
            ok = sample(text, prefix + "_config_last_reload_successful")
            stamp = sample(text, prefix + "_config_last_reload_success_timestamp_seconds")
            if ok == 1 and stamp is not None and stamp >= requested:
                self.result["last_reload_success"] = stamp
                return
            if ok == 0:
                self.fail("%s reports its last reload failed (%s_config_last_reload_successful is 0); "
                          "the previous configuration is still running" % (self.service, prefix))
            if time.time() > deadline:
                self.fail("%s did not report a successful reload within %ss (%s)"
                          % (self.service, self.module.params["wait"], error or "timestamp %s, requested %s"
                             % (stamp, requested)))
            time.sleep(0.5)

    def main_pid(self):
        rc, out, _err = self.module.run_command(["systemctl", "show", "-P", "MainPID", self.unit])
        return int(out.strip() or 0) if rc == 0 else 0

    def children(self, parent):
        """The processes whose parent is `parent`, from /proc."""
        out = set()
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name) as handle:
                        if int(handle.read().rsplit(")", 1)[1].split()[1]) == parent:
                            out.add(int(name))
                except (IOError, OSError, IndexError, ValueError):
                    continue
        return out

    def verify_nginx(self, master, before):
        """A worker of the same master that was not there before the SIGHUP: the new configuration is
        active (by process, not start time: /proc's start times are a second off the clock)."""
        deadline = time.time() + self.module.params["wait"]
        while True:
            if self.main_pid() != master:
                self.fail("%s's master process changed during the reload (it restarted, or exited)" % self.unit)
            workers = self.children(master) - before
            if workers:
                self.result["new_workers"] = sorted(workers)
                return
            if time.time() > deadline:
                self.fail("%s started no new worker within %ss of the SIGHUP: it refused the new configuration "
                          "and runs the previous one" % (self.unit, self.module.params["wait"]))
            time.sleep(0.2)

    def verify_prometheus(self, expected_text):
        status = self.client.get("/api/v1/status/config")
        active = (status or {}).get("data", {}).get("yaml", "")
        expected = job_names(expected_text)
        missing = sorted(set(expected) - set(job_names(active)))
        extra = sorted(set(job_names(active)) - set(expected))
        if missing or extra:
            self.fail("Prometheus reports a configuration other than %s: jobs missing %s, unexpected %s"
                      % (self.module.params["config_file"], missing, extra))
        # discovery hands new targets to the scrape manager a few seconds after a reload
        deadline = time.time() + self.module.params["wait"]
        while True:
            pools = self.scrape_pools()
            without_pool = [job for job in expected
                            if job not in pools and job not in self.module.params["jobs_without_targets"]]
            if not without_pool or time.time() > deadline:
                break
            time.sleep(0.5)
        if without_pool:
            self.fail("Prometheus loaded %s but has no scrape pool for %s (an unreadable TLS or credentials "
                      "file, or a broken service discovery)" % (self.module.params["config_file"], without_pool))
        self.result["jobs"] = expected

    def scrape_pools(self):
        try:
            data = self.client.get("/api/v1/scrape_pools")
            return set(data["data"]["scrapePools"])
        except (HTTPError, KeyError, TypeError):
            # older than 2.42: the pools that have targets
            data = self.client.get("/api/v1/targets?state=any")
            targets = data["data"].get("activeTargets", []) + data["data"].get("droppedTargets", [])
            return set(t.get("scrapePool") or t.get("discoveredLabels", {}).get("job") for t in targets)

    def verify_alertmanager(self, expected_bytes):
        # /api/v2/status shows the configuration re-serialised; alertmanager_config_hash is
        # taken from the file's bytes, so it proves byte for byte which file is active
        active = sample(self.metrics(), "alertmanager_config_hash")
        expected = config_hash(expected_bytes)
        if active != expected:
            self.fail("Alertmanager reports a configuration other than %s after the reload "
                      "(alertmanager_config_hash %s, the file's %s)" % (self.module.params["config_file"], active, expected))

    def run(self):
        expected_bytes = None
        if self.module.params["config_file"]:
            try:
                with open(self.module.params["config_file"], "rb") as handle:
                    expected_bytes = handle.read()
            except (IOError, OSError) as e:
                self.module.fail_json(msg="cannot read %s: %s" % (self.module.params["config_file"], e))
        if self.module.check_mode:
            self.result["changed"] = True
            self.module.exit_json(msg="check mode: %s would be reloaded" % self.service, **self.result)
        master = self.main_pid() if self.service == "nginx" else 0
        before = self.children(master) if master else set()
        self.request_reload()
        self.result["changed"] = True
        if self.service == "nginx":
            self.verify_nginx(master, before)
        self.wait_reload_reported()
        if expected_bytes is not None and self.service == "prometheus":
            self.verify_prometheus(to_text(expected_bytes))
        if expected_bytes is not None and self.service == "alertmanager":
            self.verify_alertmanager(expected_bytes)
        self.module.exit_json(**self.result)


def main():
    spec = http_argument_spec()
    spec.update(
        service=dict(type="str", required=True, choices=list(DEFAULT_PORTS)),
        url=dict(type="str"),
        method=dict(type="str", choices=["http", "signal"], default="http"),
        unit=dict(type="str"),
        config_file=dict(type="path"),
        wait=dict(type="int", default=30),
        jobs_without_targets=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[("service", "grafana", ("url_password",))])
    if module.params["service"] == "grafana" and module.params["method"] == "signal":
        module.fail_json(msg="Grafana reloads provisioning only through its HTTP API; use method=http")
    if module.params["service"] == "nginx" and module.params["method"] != "signal":
        module.fail_json(msg="nginx reloads on SIGHUP only; use method=signal")
    Reloader(module).run()


if __name__ == "__main__":
    main()
