"""Prometheus from the package, verified through its live HTTP API, and its reload-only changes."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import (  # noqa: E402  pylint: disable=wrong-import-position
    assert_check_mode_predicts_the_real_run, assert_check_mode_refuses_like_the_real_run,
    assert_dashboard_metrics_exported, assert_dashboard_queries_return_data, changed_tasks, converge, get_json, wait_for)


API = "http://127.0.0.1:9090"
# the scrape interval the config-change test moves to; later tests keep it
NEW_INTERVAL = {}
# what a check run must leave alone, and the daemons whose MainPID must not change
MANAGED = ["/etc/prometheus", "/etc/node_exporter", "/etc/systemd/system/prometheus.service",
           "/etc/systemd/system/node_exporter.service", "/usr/bin/prometheus", "/usr/bin/promtool"]
UNITS = ["prometheus", "node_exporter"]
debian12_only = pytest.mark.skipif(os.environ.get("TDA_PLATFORM", "debian12") != "debian12",
                                   reason="the check-mode sequence runs on Debian 12; Debian 13 runs the same tasks")


def api(host, path):
    return get_json(host, API + path)


def metric(host, name):
    out = host.run("curl -fsS %s/metrics" % API).stdout
    for line in out.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("%s not exposed" % name)


def test_every_target_is_up(host):
    def all_up():
        targets = api(host, "/api/v1/targets")["data"]["activeTargets"]
        jobs = {t["labels"]["job"]: t["health"] for t in targets}
        return jobs if jobs == {"prometheus": "up", "node": "up"} else None
    assert wait_for(all_up)


def test_rules_loaded_and_healthy(host):
    groups = api(host, "/api/v1/rules")["data"]["groups"]
    rules = {r["name"]: r["health"] for g in groups for r in g["rules"]}
    assert rules == {"TargetDown": "ok", "job:up:ratio": "ok"} or all(h in ("ok", "unknown") for h in rules.values())
    assert set(rules) == {"TargetDown", "job:up:ratio"}


def test_flags_and_external_labels(host):
    flags = api(host, "/api/v1/status/flags")["data"]
    assert flags["storage.tsdb.retention.time"] == "30d"
    assert flags["storage.tsdb.retention.size"] in ("1GB", "1GiB")  # Prometheus prints its own unit
    assert flags["web.enable-lifecycle"] == "true"
    config = api(host, "/api/v1/status/config")["data"]["yaml"]
    assert "cluster: molecule" in config and "environment: test" in config


def test_alertmanagers_come_from_the_inventory_group(host):
    name = host.backend.get_hostname()
    active = api(host, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert [a["url"] for a in active] == ["http://%s:9093/api/v2/alerts" % name]


def test_files_and_permissions(host):
    assert host.file("/etc/prometheus/rules/availability.yml").exists
    assert host.file("/etc/prometheus/tests/availability_test.yml").exists
    assert host.file("/etc/prometheus/file_sd/node.yml").mode == 0o640
    assert host.run("systemctl is-enabled prometheus").stdout.strip() == "enabled"
    exposure = host.run("systemd-analyze security prometheus --no-pager | tail -1").stdout.strip()
    print("prometheus: " + exposure)


@debian12_only
def test_check_mode_predicts_the_real_run_of_a_config_change(host):
    """converge -> a variable changed -> --check --diff (host untouched) -> the real run, whose
    changed tasks are the ones check mode reported."""
    current = api(host, "/api/v1/status/config")["data"]["yaml"]
    value = "8s" if "scrape_interval: 8s" not in current else "9s"
    check, _real = assert_check_mode_predicts_the_real_run(
        host, ["-e", "scenario_scrape_interval=%s" % value], MANAGED, UNITS)
    # the diff is headed with the file Prometheus reads, not its staging copy
    assert "scrape_interval: %s" % value in check and "+++ after: /etc/prometheus/prometheus.yml" in check, check[-3000:]
    assert "after: /etc/prometheus/.staging/" not in check
    assert "scrape_interval: %s" % value in api(host, "/api/v1/status/config")["data"]["yaml"]


def test_config_change_reloads_without_restart(host):
    started = metric(host, "process_start_time_seconds")
    reloaded = metric(host, "prometheus_config_last_reload_success_timestamp_seconds")
    current = api(host, "/api/v1/status/config")["data"]["yaml"]
    NEW_INTERVAL["value"] = "6s" if "scrape_interval: 7s" in current else "7s"
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL["value"])
    assert rc == 0, out[-3000:]
    assert "scrape_interval: %s" % NEW_INTERVAL["value"] in api(host, "/api/v1/status/config")["data"]["yaml"]
    assert metric(host, "process_start_time_seconds") == started, "Prometheus was restarted"
    assert metric(host, "prometheus_config_last_reload_success_timestamp_seconds") > reloaded
    assert host.file("/etc/prometheus/.previous/prometheus.yml").exists


def test_broken_rule_is_stopped_before_the_swap(host, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yml").write_text(
        "groups:\n  - name: broken\n    rules:\n      - record: x:y\n        expr: sum(rate(up[5m]) by\n")
    before = host.file("/etc/prometheus/prometheus.yml").content_string
    started = metric(host, "process_start_time_seconds")
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"), "-e",
                       json.dumps({"prometheus_rule_files": [str(rules)], "prometheus_lint": False}))
    assert rc != 0
    assert "broken.yml" in out and "promtool rejected" in out, out[-2000:]
    assert host.file("/etc/prometheus/prometheus.yml").content_string == before
    assert not host.file("/etc/prometheus/rules/broken.yml").exists
    assert metric(host, "process_start_time_seconds") == started
    assert metric(host, "prometheus_config_last_reload_successful") == 1
    # the next run, with the broken file gone, converges again and, nothing live having changed,
    # reports no change (the refused set did not stay staged)
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"))
    assert rc == 0, out[-3000:]
    assert changed_tasks(out) == 0, out[-3000:]


@debian12_only
def test_check_mode_refuses_what_only_promtool_refuses_with_the_real_runs_message(host):
    """A scrape_timeout above the scrape interval passes the controller's lint; promtool refuses it.
    The check run validates the candidate with the host's promtool and fails as the real run does."""
    served = api(host, "/api/v1/status/config")["data"]["yaml"]
    said = assert_check_mode_refuses_like_the_real_run(
        host, ["-e", "scenario_scrape_interval=3s"], MANAGED, UNITS, "promtool rejected /etc/prometheus/.staging/prometheus.yml")
    assert "scrape timeout greater than scrape interval" in said
    assert api(host, "/api/v1/status/config")["data"]["yaml"] == served
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"))
    assert rc == 0 and changed_tasks(out) == 0, out[-3000:]


@debian12_only
def test_a_file_the_config_names_that_prometheus_cannot_read_stops_the_run_in_check_mode_too(host):
    """promtool accepts a password_file that does not exist; the daemon would fail at scrape time.
    The validator checks every file the configuration names as Prometheus's user."""
    assert host.run("install -m 0600 /dev/null /etc/tda-root-only").rc == 0
    jobs = {"prometheus_scrape_configs": [
        {"job_name": "prometheus", "static_configs": [{"targets": ["127.0.0.1:9090"]}]},
        {"job_name": "missing", "basic_auth": {"username": "u", "password_file": "/etc/prometheus/no-such-password"},
         "static_configs": [{"targets": ["127.0.0.1:9"]}]},
        {"job_name": "unreadable", "tls_config": {"ca_file": "/etc/tda-root-only"}, "scheme": "https",
         "static_configs": [{"targets": ["127.0.0.1:9"]}]}]}
    said = assert_check_mode_refuses_like_the_real_run(
        host, ["-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"), "-e", json.dumps(jobs)],
        MANAGED, UNITS, "names files Prometheus could not read")
    assert ("scrape_configs[1].basic_auth.password_file names /etc/prometheus/no-such-password, which does not exist"
            in said), said
    assert "scrape_configs[2].tls_config.ca_file names /etc/tda-root-only, which is not readable" in said, said
    host.run("rm -f /etc/tda-root-only")


def test_reload_that_fails_after_the_swap_is_rolled_back(host):
    """A job whose CA file is not a certificate passes promtool (and the check that every file the
    configuration names is readable) and Prometheus "loads" it, but it never gets a scrape pool:
    the verified reload catches it, the previous set is restored and reloaded, Prometheus is not
    restarted, and the play fails naming the job."""
    before = host.file("/etc/prometheus/prometheus.yml").content_string
    started = metric(host, "process_start_time_seconds")
    broken = {"prometheus_scrape_configs": [
        {"job_name": "prometheus", "static_configs": [{"targets": ["127.0.0.1:9090"]}]},
        {"job_name": "broken_tls", "scheme": "https", "tls_config": {"ca_file": "/etc/hostname"},
         "static_configs": [{"targets": ["127.0.0.1:9"]}]}]}
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"), "-e", json.dumps(broken))
    assert rc != 0
    assert "broken_tls" in out and "no scrape pool" in out, out[-2500:]
    assert host.file("/etc/prometheus/prometheus.yml").content_string == before
    active = api(host, "/api/v1/status/config")["data"]["yaml"]
    assert "broken_tls" not in active
    assert metric(host, "process_start_time_seconds") == started
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"))
    assert rc == 0, out[-3000:]
    assert changed_tasks(out) == 0, out[-3000:]


def test_lint_stops_a_seed_defect_before_any_host_changes(host, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "latency.yml").write_text(
        "groups:\n  - name: api\n    rules:\n      - alert: TDAAPIHighLatency\n"
        "        expr: histogram_quantile(0.95, tda_api_request_duration_seconds_bucket) > 2\n"
        "        for: 5m\n        labels: {severity: warning}\n"
        "        annotations: {summary: s, description: d}\n")
    rc, out = converge("-e", json.dumps({"prometheus_rule_files": [str(rules)]}))
    assert rc != 0 and "histogram-quantile-no-rate" in out
    assert not host.file("/etc/prometheus/.staging/rules/latency.yml").exists


def test_adding_a_target_changes_only_file_sd_and_does_not_reload(host):
    reloaded = metric(host, "prometheus_config_last_reload_success_timestamp_seconds")
    extra = {"prometheus_scrape_jobs": [{"job_name": "node", "group": "all", "port": 9100,
                                         "targets": ["127.0.0.1:9100"]}]}
    rc, out = converge("-e", "scenario_scrape_interval=%s" % NEW_INTERVAL.get("value", "7s"), "-e", json.dumps(extra))
    assert rc == 0, out[-3000:]
    changed = [line for line in out.splitlines() if line.startswith("changed:")]
    assert "changed=1" in out, changed
    assert "127.0.0.1:9100" in host.file("/etc/prometheus/file_sd/node.yml").content_string
    wait_for(lambda: len([t for t in api(host, "/api/v1/targets")["data"]["activeTargets"]
                          if t["labels"]["job"] == "node"]) == 2)
    assert metric(host, "prometheus_config_last_reload_success_timestamp_seconds") == reloaded


def test_every_metric_the_dashboards_read_from_prometheus_and_node_exporter_is_there(host):
    assert_dashboard_metrics_exported(host, "prometheus")
    assert_dashboard_metrics_exported(host, "node_exporter")


def test_node_and_monitoring_dashboard_queries_return_data(host):
    assert assert_dashboard_queries_return_data(host, ["prometheus", "node_exporter"], ["node-system", "monitoring"]) >= 12
