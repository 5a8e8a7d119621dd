"""A three-node Alertmanager cluster from the inventory: one cluster seen by every node, silences
shared, an alert posted to every node notified exactly once (also with a node down), and a version
upgrade that restarts one node at a time while an alert keeps firing, neither lost nor repeated."""
import glob
import json
import os
import re
import sys
import time

import testinfra
import yaml

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, assert_dashboard_metrics_exported, assert_no_secret, changed_task_names, changed_tasks, converge, get_json, host_state, wait_for  # noqa: E402  pylint: disable=wrong-import-position

NODES = ["tda-mol-alertmanager_ha-am%d" % n for n in (1, 2, 3)]
testinfra_hosts = ["ansible://" + NODES[0]]
# peers wait their position x --cluster.peer-timeout (2s here) before notifying what the first
# has not: a duplicate would arrive within 2 x 2s and the next group_interval (6s)
DUPLICATE_WINDOW = 12


def node(name):
    return testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def status(name):
    return get_json(node(name), "http://127.0.0.1:9093/api/v2/status")


def post_alert(names, labels):
    body = json.dumps([{"labels": labels, "annotations": {"summary": "test"}}])
    for name in names:
        result = node(name).run("curl -fsS -X POST -H 'Content-Type: application/json' "
                                "http://127.0.0.1:9093/api/v2/alerts -d '%s'" % body)
        assert result.rc == 0, result.stderr


def create_silence(name, alertname, comment):
    """A one-hour silence of alertname, created on node name; returns its id."""
    silence = {"matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
               "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
               "createdBy": "molecule", "comment": comment}
    created = node(name).run("curl -fsS -X POST -H 'Content-Type: application/json' "
                             "http://127.0.0.1:9093/api/v2/silences -d '%s'" % json.dumps(silence))
    assert created.rc == 0, created.stderr
    return json.loads(created.stdout)["silenceID"]


def silences(name):
    return get_json(node(name), "http://127.0.0.1:9093/api/v2/silences")


def notifications(host, alertname):
    records = get_json(host, "http://127.0.0.1:9099/records")
    return [r for r in records for a in r["body"]["alerts"] if a["labels"]["alertname"] == alertname]


def test_every_node_sees_a_cluster_of_three(host):
    def three_everywhere():
        return all(len(status(n)["cluster"]["peers"]) == 3 and status(n)["cluster"]["status"] == "ready"
                   for n in NODES)
    assert wait_for(three_everywhere, timeout=60)
    flags = host.run("systemctl show -P ExecStart alertmanager").stdout
    assert "--cluster.peer=tda-mol-alertmanager_ha-am2:9094" in flags
    assert "--cluster.peer=tda-mol-alertmanager_ha-am3:9094" in flags
    assert "--cluster.peer=tda-mol-alertmanager_ha-am1:9094" not in flags


def test_every_metric_the_dashboards_read_from_alertmanager_is_exported(host):
    assert_dashboard_metrics_exported(host, "alertmanager", "http://127.0.0.1:9093/metrics", through_prometheus=False)


def test_silence_created_on_one_node_is_visible_on_the_others(host):
    silence_id = create_silence(NODES[0], "SilencedEverywhere", "gossip test")
    for name in NODES[1:]:
        assert wait_for(lambda n=name: any(s["id"] == silence_id for s in silences(n)))


def test_alert_posted_to_every_node_is_notified_once_also_with_a_node_down(host):
    post_alert(NODES, {"alertname": "PostedToAll", "severity": "critical"})
    wait_for(lambda: notifications(host, "PostedToAll"), timeout=30)
    time.sleep(DUPLICATE_WINDOW)
    assert len(notifications(host, "PostedToAll")) == 1

    assert node(NODES[2]).run("systemctl stop alertmanager").rc == 0
    try:
        post_alert(NODES[:2], {"alertname": "OneNodeDown", "severity": "critical"})
        wait_for(lambda: notifications(host, "OneNodeDown"), timeout=30)
        time.sleep(DUPLICATE_WINDOW)
        assert len(notifications(host, "OneNodeDown")) == 1
    finally:
        assert node(NODES[2]).run("systemctl start alertmanager").rc == 0
    assert wait_for(lambda: all(len(status(n)["cluster"]["peers"]) == 3 for n in NODES), timeout=60)


def test_check_mode_predicts_a_routing_change_on_every_node(host):
    route = {"alertmanager_route": {"receiver": "sink", "group_by": ["alertname"], "group_wait": "2s",
                                    "group_interval": "6s", "repeat_interval": "4h"}}
    _check, real = assert_check_mode_predicts_the_real_run(
        host, ["-e", json.dumps(route)], ["/etc/alertmanager", "/etc/systemd/system/alertmanager.service"],
        ["alertmanager"])
    assert real.count("Activate | reload and verify: alertmanager") == 1
    for name in NODES:
        assert "group_wait: 2s" in status(name)["config"]["original"]
    rc, out = converge()
    assert rc == 0, out[-3000:]


def test_a_group_interval_the_cluster_waits_outlast_is_refused_before_any_host_changes(host):
    """3 members x the 2 s peer timeout: a 5 s group_interval would let the last member repeat
    what the first already superseded; check mode and the real run stop alike, nothing changes."""
    assert "--cluster.peer-timeout=2s" in host.run("systemctl show -P ExecStart alertmanager").stdout
    route = {"alertmanager_route": {"receiver": "sink", "group_by": ["alertname"], "group_interval": "5s"}}
    before = host_state(host, ["/etc/alertmanager", "/etc/systemd/system/alertmanager.service"], ["alertmanager"])
    for mode in (["--check"], []):
        rc, out = converge(*mode, "-e", json.dumps(route))
        assert rc != 0, out[-2000:]
        said = " ".join(out.split())
        assert "3 x 2s = 6s" in said and "route (receiver sink): group_interval 5s" in said, out[-3000:]
        assert host_state(host, ["/etc/alertmanager", "/etc/systemd/system/alertmanager.service"],
                          ["alertmanager"]) == before


def test_upgrade_restarts_one_node_at_a_time_and_a_firing_alert_is_notified_once(host):
    # what Prometheus does: re-send the firing alert to every node, every 2 seconds
    body = json.dumps([{"labels": {"alertname": "FiringThroughout", "severity": "critical"}}])
    poster = " ; ".join("curl -s -m 1 -o /dev/null -X POST -H 'Content-Type: application/json' "
                        "http://%s:9093/api/v2/alerts -d '%s'" % (n, body) for n in NODES)
    started = host.run("systemd-run --unit=tda-poster /bin/sh -c %s"
                       % json.dumps("while true; do %s; sleep 2; done" % poster))
    assert started.rc == 0, started.stderr
    try:
        wait_for(lambda: notifications(host, "FiringThroughout"), timeout=30)
        rc, out = converge("-e", "am_version=0.33.1")
        assert rc == 0, out[-3000:]
        # one node at a time: each restart is followed by its own readiness and cluster checks
        steps = re.findall(r"TASK \[tda\.monitoring\.daemon : Restart \| ([a-z ]+?): alertmanager on "
                           r"(tda-mol-alertmanager_ha-am\d)", out)
        order = [(step, member) for step, member in steps if step in ("restart", "has rejoined its cluster")]
        assert order == [(s, m) for m in NODES for s in ("restart", "has rejoined its cluster")], steps
        for name in NODES:
            assert status(name)["versionInfo"]["version"] == "0.33.1"
        assert wait_for(lambda: all(len(status(n)["cluster"]["peers"]) == 3 for n in NODES), timeout=60)
        time.sleep(DUPLICATE_WINDOW)
        assert len(notifications(host, "FiringThroughout")) == 1
        alerts = get_json(host, "http://127.0.0.1:9093/api/v2/alerts?filter=alertname%3D%22FiringThroughout%22")
        assert alerts and alerts[0]["status"]["state"] == "active", "the alert was lost"
    finally:
        host.run("systemctl stop tda-poster")


# a TLS client to a peer's cluster port, from am1: with am1's certificate, or with none
PEER_HANDSHAKE = r"""
import socket, ssl, sys
context = ssl.create_default_context(cafile="/etc/alertmanager/cluster-ca.crt")
context.check_hostname = False
if sys.argv[2] == "with":
    context.load_cert_chain("/etc/alertmanager/cluster-tls.crt", "/etc/alertmanager/cluster-tls.key")
try:
    with socket.create_connection((sys.argv[1], 9094), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname="alertmanager-cluster") as tls:
            # TLS 1.3 reports a refused client certificate at the first read
            tls.settimeout(2)
            try:
                tls.recv(1)
            except socket.timeout:
                pass
    print("accepted")
except (ssl.SSLError, ConnectionError) as exc:
    print("refused: %s" % exc)
"""


# the upgraded cluster switched to TLS, with every receiver type 0.33.1 knows added in the same run
SWITCHED = ("-e", "am_version=0.33.1", "-e", "am_cluster_tls=true", "-e", "am_every_receiver_on=true")
with open(os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared", "receivers.yml")) as _file:
    RECEIVER_SECRETS = [s for entry in yaml.safe_load(_file)["receiver_types"] if "0.33.1" in entry["accepted_by"] for s in entry["secrets"]]


def host_key_lines():
    """The base64 lines of every key the certificates role keeps for the cluster's members."""
    lines = []
    for key in glob.glob(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "hosts", "*.key")):
        with open(key) as handle:
            lines += [line for line in handle.read().splitlines() if line and "PRIVATE KEY" not in line]
    assert lines
    return lines


def test_cluster_traffic_switches_to_tls_every_member_at_once_losing_nothing(host):
    """Plain and TLS peers cannot gossip, so the switch restarts every member at once: then each
    sees the whole cluster over TLS, a silence made before is on every node, and an alert firing
    throughout is not notified again (the notification log is on disk). The same -vvv --diff run
    adds a receiver of every type 0.33.1 knows, and shows none of their secrets."""
    silence_id = create_silence(NODES[1], "SilencedAcrossTheSwitch", "kept across the switch to TLS")
    body = json.dumps([{"labels": {"alertname": "FiringAcrossTheSwitch", "severity": "critical"}}])
    poster = " ; ".join("curl -s -m 1 -o /dev/null -X POST -H 'Content-Type: application/json' "
                        "http://%s:9093/api/v2/alerts -d '%s'" % (n, body) for n in NODES)
    assert host.run("systemd-run --unit=tda-poster-tls /bin/sh -c %s"
                    % json.dumps("while true; do %s; sleep 2; done" % poster)).rc == 0
    try:
        assert wait_for(lambda: notifications(host, "FiringAcrossTheSwitch"), timeout=30)
        # the silence reached every node before the switch (gossip), so each has it on disk
        for name in NODES:
            assert wait_for(lambda n=name: any(s["id"] == silence_id for s in silences(n)))
        rc, out = converge(*SWITCHED, verbose=True)
        assert rc == 0, out[-3000:]
        assert_no_secret(out, RECEIVER_SECRETS + host_key_lines())
        assert "every-mattermost_configs" in status(NODES[2])["config"]["original"]
        # every member restarted in the one task that restarts them together
        together = [name for name in changed_task_names(out)
                    if name.startswith("tda.monitoring.daemon : Service | restart together: alertmanager: ")]
        assert len(together) == 3, changed_task_names(out)
        assert "Restart | restart: alertmanager on" not in out
        for name in NODES:
            assert "--cluster.tls-config=/etc/alertmanager/cluster-tls.yml" in node(name).run(
                "systemctl show -P ExecStart alertmanager").stdout
        assert wait_for(lambda: all(len(status(n)["cluster"]["peers"]) == 3 and status(n)["cluster"]["status"] == "ready"
                                    for n in NODES), timeout=60)
        for name in NODES:
            assert any(s["id"] == silence_id and s["status"]["state"] == "active"
                       for s in silences(name)), name
        assert host.run("cat > /tmp/peer-handshake.py <<'EOF'\n%s\nEOF" % PEER_HANDSHAKE).rc == 0
        with_cert = host.run("python3 /tmp/peer-handshake.py %s with" % NODES[1])
        without = host.run("python3 /tmp/peer-handshake.py %s without" % NODES[1])
        assert with_cert.stdout.strip() == "accepted", with_cert.stdout + with_cert.stderr
        assert without.stdout.strip().startswith("refused"), without.stdout + without.stderr
        time.sleep(DUPLICATE_WINDOW)
        assert len(notifications(host, "FiringAcrossTheSwitch")) == 1
        alerts = get_json(host, "http://127.0.0.1:9093/api/v2/alerts?filter=alertname%3D%22FiringAcrossTheSwitch%22")
        assert alerts and alerts[0]["status"]["state"] == "active", "the alert was lost"
    finally:
        host.run("systemctl stop tda-poster-tls")
    rc, out = converge(*SWITCHED)
    assert rc == 0 and changed_tasks(out) == 0, out[-3000:]
