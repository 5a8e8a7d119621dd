"""nginx_exporter reads the stub_status page the role added to nginx and is scraped by a real
Prometheus: nginx_up is 1 and request counts move; a stub_status nginx refuses is put back."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import (  # noqa: E402  pylint: disable=wrong-import-position
    assert_dashboard_metrics_exported, assert_dashboard_queries_return_data, converge, exposure, host_state, query,
    wait_for)

STUB_FILE = "/etc/nginx/conf.d/tda-stub-status.conf"


def test_target_up_and_nginx_up(host):
    assert wait_for(lambda: query(host, 'up{job="nginx"} == 1'), timeout=60)
    assert wait_for(lambda: query(host, 'nginx_up{job="nginx"} == 1'), timeout=60)


def test_requests_to_nginx_are_counted(host):
    before = float(wait_for(lambda: query(host, 'nginx_http_requests_total{job="nginx"}'))[0]["value"][1])
    for _request in range(20):
        host.run("curl -fsS -o /dev/null http://127.0.0.1/")
    assert wait_for(lambda: float(query(host, 'nginx_http_requests_total{job="nginx"}')[0]["value"][1]) >= before + 20,
                    timeout=30)


def test_stub_status_only_from_loopback(host):
    conf = host.file(STUB_FILE).content_string
    assert "listen 127.0.0.1:8080;" in conf and "deny all;" in conf
    assert host.run("curl -fsS http://127.0.0.1:8080/stub_status").stdout.startswith("Active connections:")


def nginx_refusal(output):
    """The role's refusal, without what differs between two runs of nginx -t: its time and PID."""
    found = re.findall(r"nginx refused .*?the file was put back", " ".join(output.split()))
    return re.sub(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: ", r"\1 ", found[-1]) if found else None


def test_stub_status_nginx_refuses_is_put_back(host):
    before = host.file(STUB_FILE).content_string
    # check mode first: nginx -t checks the candidate server in a temporary directory and refuses
    # it with the real run's message; nothing live changes
    state = host_state(host, ["/etc/nginx"], ["nginx"])
    rc, check = converge("--check", "--tags", "nginx_exporter", "-e", "scenario_stub_status_listen=127.0.0.1:notaport")
    assert rc != 0, "check mode accepted what nginx refuses: " + check[-2000:]
    assert host_state(host, ["/etc/nginx"], ["nginx"]) == state
    assert host.run("ls -d /tmp/tda-candidate-nginx-* 2>/dev/null").stdout == ""
    rc, out = converge("--tags", "nginx_exporter", "-e", "scenario_stub_status_listen=127.0.0.1:notaport")
    assert rc != 0
    assert "nginx refused /etc/nginx/conf.d/tda-stub-status.conf" in out, out[-3000:]
    assert 'invalid port in "127.0.0.1:notaport"' in nginx_refusal(out), out[-3000:]
    assert nginx_refusal(check) == nginx_refusal(out), (nginx_refusal(check), nginx_refusal(out))
    assert host.file(STUB_FILE).content_string == before
    assert host.run("nginx -t").rc == 0
    assert wait_for(lambda: query(host, 'nginx_up{job="nginx"} == 1'), timeout=30)


def test_unit_exposure(host):
    assert exposure(host, "nginx_exporter", "prometheus-nginx-exporter") <= 2.0


def test_every_metric_the_dashboards_read_is_exported(host):
    assert_dashboard_metrics_exported(host, "nginx_exporter", "http://127.0.0.1:9113/metrics")


def test_nginx_dashboard_queries_return_data(host):
    assert assert_dashboard_queries_return_data(host, ["nginx_exporter"], ["nginx"]) >= 6
