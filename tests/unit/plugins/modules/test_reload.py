"""tda.monitoring.reload against a real Prometheus and a real Alertmanager on 127.0.0.1."""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


def test_prometheus_reload_is_verified_and_new_job_is_active(prometheus, module):
    text = prometheus.config.read_text() + (
        "  - job_name: added\n    static_configs:\n      - targets: ['127.0.0.1:9']\n")
    prometheus.config.write_text(text)
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(prometheus.config))
    assert rc == 0, result
    assert result["changed"] is True
    assert result["jobs"] == ["added", "self"]
    assert result["last_reload_success"] >= int(result["reloaded_at"])
    active = get_json(prometheus.url + "/api/v1/status/config")["data"]["yaml"]
    assert "job_name: added" in active


def test_prometheus_reload_failure_returns_the_daemons_reason(prometheus, module):
    prometheus.config.write_text(prometheus.config.read_text() + "not_a_field: true\n")
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(prometheus.config))
    assert rc != 0
    assert "not_a_field" in result["reason"]
    assert "refused the reload" in result["msg"]


def test_prometheus_config_that_is_not_the_staged_one_is_detected(prometheus, module, tmp_path):
    staged = tmp_path / "staged.yml"
    staged.write_text(prometheus.config.read_text() + (
        "  - job_name: only_in_staging\n    static_configs:\n      - targets: ['127.0.0.1:9']\n"))
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(staged))
    assert rc != 0
    assert "only_in_staging" in result["msg"]


def test_prometheus_job_without_scrape_pool_is_detected(prometheus, module, tmp_path):
    # a TLS file that does not exist: promtool and the reload accept it, the pool is never built
    prometheus.config.write_text(prometheus.config.read_text() + (
        "  - job_name: broken_tls\n    scheme: https\n    tls_config:\n      ca_file: %s\n"
        "    static_configs:\n      - targets: ['127.0.0.1:9']\n" % (tmp_path / "missing-ca.pem")))
    # discovery syncs every 5 s: 12 s is enough for a healthy job to get its pool
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(prometheus.config),
                        wait=12)
    if rc == 0:
        # this Prometheus version refuses such a file at load time instead: also a verified outcome
        raise AssertionError("a job with an unusable CA file was reported loaded: %s" % result)
    assert "broken_tls" in result["msg"] or "missing-ca.pem" in result.get("reason", "")


def test_a_job_of_an_empty_group_needs_no_scrape_pool(prometheus, module, tmp_path):
    # the file_sd list of an inventory group with no hosts yet: Prometheus builds no pool for it
    empty = tmp_path / "kafka.yml"
    empty.write_text("[]\n")
    prometheus.config.write_text(prometheus.config.read_text() + (
        "  - job_name: kafka\n    file_sd_configs:\n      - files: ['%s']\n" % empty))
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(prometheus.config),
                        wait=8)
    assert rc != 0 and "kafka" in result["msg"], result  # unexplained, a missing pool is an error
    rc, result = module("reload", service="prometheus", url=prometheus.url, config_file=str(prometheus.config),
                        wait=8, jobs_without_targets=["kafka"])
    assert rc == 0 and "kafka" in result["jobs"], result


def test_check_mode_sends_nothing(prometheus, module):
    before = get_json(prometheus.url + "/api/v1/status/config")["data"]["yaml"]
    prometheus.config.write_text(prometheus.config.read_text().replace("scrape_interval: 1s", "scrape_interval: 2s"))
    rc, result = module("reload", service="prometheus", url=prometheus.url, _ansible_check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert get_json(prometheus.url + "/api/v1/status/config")["data"]["yaml"] == before


def test_alertmanager_reload_verified_byte_for_byte(alertmanager, module):
    alertmanager.config.write_text(alertmanager.config.read_text() + "  - name: second\n")
    rc, result = module("reload", service="alertmanager", url=alertmanager.url,
                        config_file=str(alertmanager.config))
    assert rc == 0, result
    status = get_json(alertmanager.url + "/api/v2/status")
    assert "name: second" in status["config"]["original"]


def test_alertmanager_running_another_file_is_detected(alertmanager, module, tmp_path):
    staged = tmp_path / "staged.yml"
    staged.write_text(alertmanager.config.read_text() + "  - name: only_in_staging\n")
    rc, result = module("reload", service="alertmanager", url=alertmanager.url, config_file=str(staged))
    assert rc != 0
    assert "alertmanager_config_hash" in result["msg"]


def test_alertmanager_reload_failure_keeps_old_config_and_says_why(alertmanager, module):
    alertmanager.config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: default\n")
    rc, result = module("reload", service="alertmanager", url=alertmanager.url,
                        config_file=str(alertmanager.config))
    assert rc != 0
    assert "nobody" in result["reason"]
    status = get_json(alertmanager.url + "/api/v2/status")
    assert "nobody" not in status["config"]["original"]


def test_unreachable_daemon_fails_clearly(module):
    rc, result = module("reload", service="alertmanager", url="http://127.0.0.1:1", wait=1)
    assert rc != 0
    assert "127.0.0.1:1" in result["msg"]


def test_blackbox_reload_verified_and_failure_reported(blackbox, module):
    blackbox.config.write_text(blackbox.config.read_text() + "  tcp_connect:\n    prober: tcp\n")
    rc, result = module("reload", service="blackbox_exporter", url=blackbox.url)
    assert rc == 0, result
    with urllib.request.urlopen(blackbox.url + "/config", timeout=5) as resp:
        assert "tcp_connect" in resp.read().decode()
    blackbox.config.write_text("modules:\n  broken:\n    prober: http\n    not_a_field: 1\n")
    rc, result = module("reload", service="blackbox_exporter", url=blackbox.url)
    assert rc != 0
    assert "not_a_field" in result["reason"]


def test_prometheus_reload_by_sighup(prometheus, module, tmp_path):
    """method=signal sends SIGHUP through `systemctl kill`; here a stand-in systemctl on PATH
    delivers it to the test's Prometheus (no systemd on the test controller). The reload and
    its verification are Prometheus's own."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "systemctl").write_text(
        "#!/bin/sh\n# systemctl kill --kill-whom=main --signal=HUP UNIT\n"
        "[ \"$1\" = kill ] && [ \"$2\" = --kill-whom=main ] && [ \"$3\" = --signal=HUP ] && exec kill -HUP %d\nexit 1\n"
        % prometheus.proc.pid)
    (shim / "systemctl").chmod(0o755)
    prometheus.config.write_text(prometheus.config.read_text() + (
        "  - job_name: by_signal\n    static_configs:\n      - targets: ['127.0.0.1:9']\n"))
    rc, result = module("reload", service="prometheus", url=prometheus.url, method="signal",
                        unit="prometheus", config_file=str(prometheus.config),
                        path_prefix=str(shim))
    assert rc == 0, result
    assert "by_signal" in result["jobs"]


# a stand-in nginx master: on SIGHUP it starts a new worker when its "configuration" is good, and
# keeps its old worker when it is not - what nginx does
FAKE_MASTER = r"""
import os, signal, subprocess, sys, time
good = sys.argv[1]
workers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])]
def hup(_signum, _frame):
    if open(good).read().strip() == "good":
        workers.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
signal.signal(signal.SIGHUP, hup)
while True:
    time.sleep(0.1)
"""


@pytest.mark.parametrize("config", ["good", "refused"])
def test_nginx_reload_verified_by_a_new_worker(module, tmp_path, config):
    """service=nginx: SIGHUP to the unit's main process, then a worker that was not there before
    proves the new configuration loaded; none within the wait is a refused reload."""
    state = tmp_path / "config"
    state.write_text(config)
    master = subprocess.Popen([sys.executable, "-c", FAKE_MASTER, str(state)])
    try:
        time.sleep(0.5)
        shim = tmp_path / "bin"
        shim.mkdir()
        (shim / "systemctl").write_text(
            "#!/bin/sh\n"
            "[ \"$1\" = show ] && [ \"$3\" = MainPID ] && echo %d && exit 0\n"
            "[ \"$1\" = kill ] && [ \"$2\" = --kill-whom=main ] && [ \"$3\" = --signal=HUP ] && exec kill -HUP %d\n"
            "exit 1\n" % (master.pid, master.pid))
        (shim / "systemctl").chmod(0o755)
        rc, result = module("reload", service="nginx", method="signal", unit="tls_proxy", wait=2,
                            path_prefix=str(shim))
        if config == "good":
            assert rc == 0, result
            assert len(result["new_workers"]) == 1
        else:
            assert rc != 0
            assert "started no new worker" in result["msg"]
    finally:
        for child in subprocess.run(["pgrep", "-P", str(master.pid)], check=False, capture_output=True, text=True).stdout.split():
            os.kill(int(child), 9)
        master.kill()
