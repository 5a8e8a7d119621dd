"""node_exporter from Debian's package (the one Prometheus scrapes in this scenario): running under
our hardened unit, serving node_* series; removed with state absent, then put back."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import converge  # noqa: E402  pylint: disable=wrong-import-position


def scrape(host, url="http://127.0.0.1:9100/metrics"):
    result = host.run("curl -fsS --max-time 5 %s", url)
    assert result.rc == 0, result.stderr
    return result.stdout


def test_service_runs_our_unit_as_its_own_user(host):
    service = host.service("node_exporter")
    assert service.is_running
    assert service.is_enabled
    props = host.run("systemctl show node_exporter -p User -p FragmentPath -p ExecStart").stdout
    assert "User=node-exp" in props
    assert "FragmentPath=/etc/systemd/system/node_exporter.service" in props
    assert "--collector.processes" in props
    assert "--no-collector.mdadm" in props


def test_package_unit_never_runs(host):
    debian_unit = host.service("prometheus-node-exporter")
    assert not debian_unit.is_running
    assert host.run("systemctl is-enabled prometheus-node-exporter").stdout.strip() == "masked"


def test_user_has_no_login_and_no_home(host):
    user = host.user("node-exp")
    assert user.shell == "/usr/sbin/nologin"
    assert not host.file("/home/node-exp").exists


NODE_SERIES = ["node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
               "node_filesystem_avail_bytes", "node_processes_threads"]


@pytest.mark.parametrize("series", NODE_SERIES)
def test_metrics_have_node_series(host, series):
    body = scrape(host)
    assert re.search(r"^%s[{ ]" % series, body, re.M), "%s missing from /metrics" % series


def test_textfile_collector_reads_its_directory(host):
    host.run("echo 'tda_textfile_probe 42' > /var/lib/node_exporter/textfile/probe.prom")
    try:
        body = scrape(host)
        assert re.search(r"^tda_textfile_probe 42$", body, re.M)
    finally:
        host.run("rm -f /var/lib/node_exporter/textfile/probe.prom")


def test_hardening_exposure_is_reported(host):
    result = host.run("systemd-analyze security node_exporter --no-pager")
    assert result.rc == 0, result.stderr
    match = re.search(r"Overall exposure level for node_exporter\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout[-500:]
    exposure = float(match.group(1))
    print("systemd-analyze security node_exporter.service: %.1f" % exposure)
    assert exposure <= 2.0


def test_debian_unit_exposure_for_comparison(host):
    """Debian's own unit, for the comparison in the docs (it is masked, so analysed offline)."""
    unit = "/lib/systemd/system/prometheus-node-exporter.service"
    if not host.file(unit).exists:
        unit = "/usr/lib/systemd/system/prometheus-node-exporter.service"
    result = host.run("systemd-analyze security --offline=true --no-pager %s", unit)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr[-500:]
    print("systemd-analyze security, Debian's prometheus-node-exporter.service: %s" % match.group(1))


def test_state_absent_removes_service_and_keeps_data(host):
    """Last in this file: converge with node_exporter_state=absent, check what stayed, then converge
    again so the Prometheus tests that follow find node_exporter as the scenario deployed it."""
    host.run("echo 'tda_kept 1' > /var/lib/node_exporter/textfile/kept.prom")
    try:
        rc, out = converge("-e", "node_exporter_state=absent")
        assert rc == 0, out[-3000:]
        assert not host.service("node_exporter").is_running
        assert not host.file("/etc/systemd/system/node_exporter.service").exists
        assert not host.package("prometheus-node-exporter").is_installed
        assert host.file("/var/lib/node_exporter/textfile/kept.prom").exists
        assert host.run("curl -s -o /dev/null http://127.0.0.1:9100/metrics").rc != 0
    finally:
        host.run("rm -f /var/lib/node_exporter/textfile/kept.prom")
        rc, out = converge()
    assert rc == 0, out[-3000:]
    assert host.service("node_exporter").is_running
