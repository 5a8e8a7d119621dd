"""The long-term store: VictoriaMetrics from Debian's package on the receiver host, behind TLS and
basic auth, written to by both members of the HA pair with their replica label dropped."""
import json
import os
import sys

import testinfra

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import wait_for  # noqa: E402  pylint: disable=wrong-import-position

STORE = "https://tda-mol-prometheus_ha-receiver:8428"
PASSWORD = "ha-store-Vm-31e8a0"
METRICS_KEY = "ha-store-key-5c2d9e"
CA = "--cacert /etc/ssl/tda-test-ca.crt"
testinfra_hosts = ["ansible://tda-mol-prometheus_ha-receiver"]


def status_of(host, path, options=""):
    return host.run("curl -sS -o /dev/null -w '%%{http_code}' %s %s '%s%s'" % (CA, options, STORE, path)).stdout


def query(host, promql):
    out = host.run("curl -fsS %s -u writer:%s -G --data-urlencode 'query=%s' '%s/api/v1/query'"
                   % (CA, PASSWORD, promql, STORE))
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)["data"]["result"]


def test_apis_answer_401_without_credentials_and_200_with_them(host):
    for path in ("/api/v1/query?query=up", "/api/v1/labels", "/api/v1/write"):
        assert status_of(host, path) == "401", path
    assert status_of(host, "/api/v1/query?query=up", "-u writer:" + PASSWORD) == "200"
    assert status_of(host, "/api/v1/query?query=up", "-u writer:wrong") == "401"
    # /metrics and /flags want the key, which overrides basic auth there
    for path in ("/metrics", "/flags"):
        assert status_of(host, path) == "401", path
        assert status_of(host, path, "-u writer:" + PASSWORD) == "401", path
        assert status_of(host, path + "?authKey=" + METRICS_KEY) == "200", path


def test_plain_http_and_a_client_that_trusts_another_ca_are_refused(host):
    plain = host.run("curl -sS -o /dev/null -w '%%{http_code}' -u writer:%s "
                     "'http://tda-mol-prometheus_ha-receiver:8428/api/v1/query?query=up'" % PASSWORD)
    assert not plain.stdout.startswith("2"), plain.stdout
    other_ca = host.run("curl -sS -o /dev/null --cacert /etc/ssl/certs/ca-certificates.crt '%s/health'" % STORE)
    assert other_ca.rc != 0 and "certificate" in other_ca.stderr.lower(), other_ca.stderr


def test_the_password_is_in_no_process_argument_and_in_no_world_readable_file(host):
    pid = host.run("systemctl show -P MainPID victoriametrics").stdout.strip()
    arguments = host.file("/proc/%s/cmdline" % pid).content_string
    assert "-envflag.enable" in arguments and "-tls" in arguments
    assert PASSWORD not in arguments and METRICS_KEY not in arguments
    flags = host.file("/etc/victoriametrics/flags.env")
    assert (flags.user, flags.group, flags.mode) == ("root", "victoriametrics", 0o640)
    assert 'httpAuth_password="%s"' % PASSWORD in flags.content_string
    unit = host.file("/etc/systemd/system/victoriametrics.service").content_string
    assert "EnvironmentFile=/etc/victoriametrics/flags.env" in unit and PASSWORD not in unit
    key = host.file("/etc/victoriametrics/web/tls.key")
    assert (key.user, key.group, key.mode) == ("root", "victoriametrics", 0o640)
    assert host.run("systemctl is-active victoria-metrics").stdout.strip() != "active", "the package's own unit runs"


def test_both_replicas_write_and_the_store_keeps_each_series_once(host):
    """Both members scrape both members (job prometheus): two series of up, not four, and none
    with a replica label - the pair's write_relabel_configs dropped it before writing."""
    def both_written():
        series = query(host, 'up{job="prometheus", cluster="molecule-ha"}')
        return len(series) == 2 and series
    # an instant query sees samples older than -search.latencyOffset (30 s) only
    series = wait_for(both_written, timeout=120, interval=3)
    assert series, query(host, 'up{job="prometheus"}')
    assert all("replica" not in s["metric"] for s in series), series
    assert sorted(s["metric"]["host"] for s in series) == ["tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"]
    # each member's own remote-write queue to the store has sent samples
    for name in ("tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"):
        member = testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])
        expr = 'sum({__name__=~"prometheus_remote_storage_(succeeded_)?samples_total", url=~".*:8428/.*"})'
        out = member.run("curl -fsS -G --data-urlencode '%s' http://127.0.0.1:9090/api/v1/query" % ("query=" + expr))
        result = json.loads(out.stdout)["data"]["result"]
        assert result and float(result[0]["value"][1]) > 0, (name, out.stdout)
