"""blackbox_exporter probing through a real Prometheus: success, failure and ICMP with CAP_NET_RAW
only; its modules file is checked by the exporter before the swap and reloaded, never restarted."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import (  # noqa: E402  pylint: disable=wrong-import-position
    assert_check_mode_predicts_the_real_run, assert_check_mode_refuses_like_the_real_run,
    assert_dashboard_metrics_exported, assert_dashboard_queries_return_data, changed_tasks, converge, exposure, get_json,
    wait_for)

# what a check run must leave alone; the runs go through the role's tag only (the scenario has six roles)
MANAGED = ["/etc/blackbox_exporter", "/etc/systemd/system/blackbox_exporter.service"]
ONLY = ["--tags", "blackbox_exporter"]


def query(host, expr):
    return get_json(host, "http://127.0.0.1:9090/api/v1/query?query=" + expr.replace(" ", "%20"))["data"]["result"]


def probe(host, job):
    result = query(host, 'probe_success{job="%s"}' % job)
    return float(result[0]["value"][1]) if result else None


def exporter_metric(host, name):
    for line in host.run("curl -fsS http://127.0.0.1:9115/metrics").stdout.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("%s not exposed" % name)


def test_probes_through_prometheus_succeed_and_fail_as_the_targets_do(host):
    def all_reported():
        targets = get_json(host, "http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
        jobs = ("probe-http", "probe-closed", "probe-icmp", "blackbox")
        health = {t["labels"]["job"]: t["health"] for t in targets if t["labels"]["job"] in jobs}
        if health != {"probe-http": "up", "probe-closed": "up", "probe-icmp": "up", "blackbox": "up"}:
            return None
        return all(probe(host, job) is not None for job in ("probe-http", "probe-closed", "probe-icmp"))
    assert wait_for(all_reported, timeout=60)
    assert probe(host, "probe-http") == 1.0
    assert probe(host, "probe-closed") == 0.0
    assert probe(host, "probe-icmp") == 1.0, "ICMP needs CAP_NET_RAW in the unit"
    instance = query(host, 'probe_success{job="probe-http"}')[0]["metric"]["instance"]
    assert instance == "http://127.0.0.1:8081/health"  # the seed's relabelling: the target is the instance


def test_unit_has_cap_net_raw_only_and_its_exposure(host):
    unit = host.run("systemctl cat blackbox_exporter").stdout
    assert "CapabilityBoundingSet=CAP_NET_RAW" in unit and "AmbientCapabilities=CAP_NET_RAW" in unit
    assert exposure(host, "blackbox_exporter", "prometheus-blackbox-exporter") <= 2.0


def test_module_change_reloads_without_restart(host):
    started = exporter_metric(host, "process_start_time_seconds")
    reloaded = exporter_metric(host, "blackbox_exporter_config_last_reload_success_timestamp_seconds")
    extra = {"blackbox_extra_module": {"http_post_2xx": {"prober": "http", "http": {"method": "POST"}}}}
    rc, out = converge(*ONLY, "-e", json.dumps(extra))
    assert rc == 0, out[-3000:]
    assert "http_post_2xx" in host.file("/etc/blackbox_exporter/blackbox.yml").content_string
    assert host.run("curl -fsS http://127.0.0.1:9115/config").stdout.count("http_post_2xx") == 1
    assert exporter_metric(host, "process_start_time_seconds") == started, "blackbox_exporter was restarted"
    assert exporter_metric(host, "blackbox_exporter_config_last_reload_success_timestamp_seconds") > reloaded
    rc, out = converge(*ONLY)
    assert rc == 0, out[-3000:]


def test_check_mode_predicts_the_real_run_of_a_module_change(host):
    extra = {"blackbox_extra_module": {"http_2xx_short": {"prober": "http", "timeout": "3s"}}}
    check, _real = assert_check_mode_predicts_the_real_run(host, ONLY + ["-e", json.dumps(extra)], MANAGED,
                                                           ["blackbox_exporter"])
    assert "http_2xx_short" in check and "http_2xx_short" in host.file("/etc/blackbox_exporter/blackbox.yml").content_string
    rc, out = converge(*ONLY)
    assert rc == 0, out[-3000:]


def test_check_mode_refuses_what_only_the_exporter_refuses_with_the_real_runs_message(host):
    broken = {"blackbox_extra_module": {"broken": {"prober": "http",
                                                   "http": {"fail_if_body_matches_regexp": ["(unclosed"]}}}}
    said = assert_check_mode_refuses_like_the_real_run(host, ONLY + ["-e", json.dumps(broken)], MANAGED,
                                                       ["blackbox_exporter"], "the daemon's own check")
    assert "unclosed" in said
    rc, out = converge(*ONLY)
    assert rc == 0 and changed_tasks(out) == 0, out[-3000:]


def test_module_the_exporter_rejects_is_stopped_before_the_swap(host):
    before = host.file("/etc/blackbox_exporter/blackbox.yml").content_string
    started = exporter_metric(host, "process_start_time_seconds")
    broken = {"blackbox_extra_module": {"broken": {"prober": "http",
                                                   "http": {"fail_if_body_matches_regexp": ["(unclosed"]}}}}
    rc, out = converge(*ONLY, "-e", json.dumps(broken))
    assert rc != 0
    assert "the staged configuration with the daemon's own check" in out and "unclosed" in out, out[-2500:]
    assert host.file("/etc/blackbox_exporter/blackbox.yml").content_string == before
    assert exporter_metric(host, "process_start_time_seconds") == started
    assert exporter_metric(host, "blackbox_exporter_config_last_reload_successful") == 1


def test_every_metric_the_dashboards_read_from_probes_is_there(host):
    assert_dashboard_metrics_exported(host, "blackbox_exporter")


def test_probe_dashboard_queries_return_data(host):
    assert assert_dashboard_queries_return_data(host, ["blackbox_exporter"], ["monitoring"]) == 2
