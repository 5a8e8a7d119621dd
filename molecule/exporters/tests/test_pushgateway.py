"""A metric pushed to the Pushgateway is read back through Prometheus, and is still there after
the gateway restarts (its persistence file)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import exposure, get_json, wait_for  # noqa: E402  pylint: disable=wrong-import-position

QUERY = "http://127.0.0.1:9090/api/v1/query?query="


def pushed_value(host, since=0):
    result = get_json(host, QUERY + 'tda_batch_last_success_timestamp{job="tda_batch",instance="nightly"}')
    result = result["data"]["result"]
    if result and float(result[0]["value"][0]) > since:
        return float(result[0]["value"][1])
    return None


def test_pushed_metric_reaches_prometheus_with_its_own_labels(host):
    push = host.run("printf 'tda_batch_last_success_timestamp 1795000000\\n' | curl -fsS --data-binary @- "
                    "http://127.0.0.1:9091/metrics/job/tda_batch/instance/nightly")
    assert push.rc == 0, push.stderr
    assert wait_for(lambda: pushed_value(host) == 1795000000.0, timeout=30)


def test_pushed_metric_survives_a_restart_of_the_gateway(host):
    assert host.run("systemctl restart pushgateway").rc == 0
    restarted = time.time()
    assert host.file("/var/lib/pushgateway/metrics.store").exists
    wait_for(lambda: host.run("curl -fsS http://127.0.0.1:9091/-/ready").rc == 0, timeout=30)
    exposed = host.run("curl -fsS http://127.0.0.1:9091/metrics").stdout
    assert 'tda_batch_last_success_timestamp{instance="nightly",job="tda_batch"} 1.795e+09' in exposed
    # a sample scraped after the restart still carries the pushed value
    assert wait_for(lambda: pushed_value(host, since=restarted) == 1795000000.0, timeout=30)


def test_unit_exposure(host):
    assert exposure(host, "pushgateway", "prometheus-pushgateway") <= 2.0
