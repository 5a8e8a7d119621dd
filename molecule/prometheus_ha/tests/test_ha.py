"""HA pair with replica labels, remote_write with basic auth over TLS, 401 without credentials."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, converge  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "ha-scenario-Rw-7d41c9"
RECEIVER = "https://127.0.0.1:9090"
testinfra_hosts = ["ansible://tda-mol-prometheus_ha-receiver"]
PAIR = ("tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2")


def host_of(name):
    import testinfra
    return testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def receiver_api(host, path, auth=True, query=None):
    credentials = "-u writer:%s" % PASSWORD if auth else ""
    params = "-G --data-urlencode 'query=%s'" % query if query else ""
    return host.run("curl -sS --cacert /etc/ssl/tda-test-ca.crt %s %s -w '\\n%%{http_code}' '%s%s'"
                    % (credentials, params, RECEIVER, path))


def test_receiver_refuses_requests_without_credentials(host):
    out = receiver_api(host, "/api/v1/status/buildinfo", auth=False).stdout
    assert out.rsplit("\n", 1)[-1] == "401"
    out = receiver_api(host, "/api/v1/status/buildinfo").stdout
    assert out.rsplit("\n", 1)[-1] == "200"


def test_samples_of_both_replicas_arrive_at_the_receiver(host):
    deadline = time.time() + 60
    replicas = set()
    while time.time() < deadline:
        out = receiver_api(host, "/api/v1/query", query='count by (replica) (up{cluster="molecule-ha"})').stdout
        body = json.loads(out.rsplit("\n", 1)[0])
        replicas = {r["metric"].get("replica") for r in body["data"]["result"]}
        if replicas == {"tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"}:
            break
        time.sleep(2)
    assert replicas == {"tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"}


@pytest.mark.parametrize("name", ["tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"])
def test_pair_members_scrape_the_same_targets_with_their_own_replica_label(name):
    member = host_of(name)
    config = json.loads(member.run("curl -fsS http://127.0.0.1:9090/api/v1/status/config").stdout)["data"]["yaml"]
    assert "replica: %s" % name in config
    targets = json.loads(member.run("curl -fsS http://127.0.0.1:9090/api/v1/targets").stdout)
    scraped = sorted(t["labels"]["host"] for t in targets["data"]["activeTargets"])
    assert scraped == ["tda-mol-prometheus_ha-prom1", "tda-mol-prometheus_ha-prom2"]


def test_remote_read_brings_the_other_replicas_samples():
    """prom1's own TSDB has no series labelled replica=prom2; only the receiver has them."""
    member = host_of("tda-mol-prometheus_ha-prom1")

    def other_replica():
        out = member.run("curl -fsS -G --data-urlencode 'query=up{replica=\"tda-mol-prometheus_ha-prom2\"}' "
                         "http://127.0.0.1:9090/api/v1/query").stdout
        return json.loads(out)["data"]["result"]
    deadline = time.time() + 60
    while not other_replica() and time.time() < deadline:
        time.sleep(2)
    assert other_replica(), "no sample of the other replica through remote_read"
    secret = member.file("/etc/prometheus/secrets/remote_read_0_basic_auth_writer_password")
    assert (secret.user, secret.group, secret.mode) == ("root", "prometheus", 0o640)


def test_flag_change_restarts_the_pair_one_member_at_a_time():
    """Check mode first: it predicts the restart of both members and touches neither; then the
    real run restarts them one at a time, each serving again before the next."""
    pair = [host_of(n) for n in PAIR]
    starts = {n: host_of(n).run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout.strip()
              for n in PAIR}
    _check, real = assert_check_mode_predicts_the_real_run(
        pair, ["-e", "prometheus_storage_retention_time=20d"],
        ["/etc/prometheus", "/etc/systemd/system/prometheus.service"], ["prometheus"])
    pair_play = real[real.index("PLAY [The HA pair"):]
    steps = re.findall(r"TASK \[tda\.monitoring\.daemon : Restart \| ([a-z ]+?): prometheus on "
                       r"(tda-mol-prometheus_ha-prom\d)", pair_play)
    order = [(step, member) for step, member in steps if step in ("restart", "serves again")]
    assert order == [("restart", PAIR[0]), ("serves again", PAIR[0]), ("restart", PAIR[1]), ("serves again", PAIR[1])], \
        steps
    for name, before in starts.items():
        member = host_of(name)
        assert member.run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout.strip() != before
        flags = json.loads(member.run("curl -fsS http://127.0.0.1:9090/api/v1/status/flags").stdout)["data"]
        assert flags["storage.tsdb.retention.time"] == "20d"


def started(name):
    return host_of(name).run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout.strip()


def retention(name):
    flags = json.loads(host_of(name).run("curl -fsS http://127.0.0.1:9090/api/v1/status/flags").stdout)["data"]
    return flags["storage.tsdb.retention.time"]


def test_a_member_that_does_not_serve_again_holds_back_the_next_and_the_next_run_restarts_it():
    """A new retention for both, and a flag only prom1's Prometheus refuses: prom1 exits after
    its restart, so prom2 is not restarted and keeps serving as it was. The next run without the
    bad flag restarts prom1, and prom2 too: its new unit was placed but never applied."""
    kept = {n: (started(n), retention(n)) for n in PAIR}
    bad = {"prometheus_extra_flags": "{{ ['--no-such-flag'] if inventory_hostname == '%s' else [] }}" % PAIR[0]}
    # the pair only: the receiver's play would take the flag list too
    rc, out = converge("--limit", "prometheus", "-e", "prometheus_storage_retention_time=22d", "-e", json.dumps(bad))
    assert rc != 0
    assert "prometheus exited instead of serving" in out and "no-such-flag" in out, out[-3000:]
    assert ("prometheus on %s was not restarted: %s failed earlier in this play" % (PAIR[1], PAIR[0])) in \
        " ".join(out.split()), out[-3000:]
    assert (started(PAIR[1]), retention(PAIR[1])) == kept[PAIR[1]], "prom2 was restarted after prom1 failed"
    rc, out = converge("--limit", "prometheus", "-e", "prometheus_storage_retention_time=22d")
    assert rc == 0, out[-3000:]
    steps = re.findall(r"TASK \[tda\.monitoring\.daemon : Restart \| restart: prometheus on (tda-mol-prometheus_ha-prom\d)", out)
    assert steps == list(PAIR), steps
    assert [retention(n) for n in PAIR] == ["22d", "22d"]
    rc, out = converge()
    assert rc == 0, out[-3000:]


def user_play(action):
    """The scenario's user-play.yml, a user's own play, with the handler to notify."""
    rc, out = converge("-e", "user_action=%s" % action, playbook="user-play.yml")
    assert rc == 0, out[-3000:]
    return out


def started_and_reloaded(name):
    member = host_of(name)
    started = member.run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout.strip()
    metrics = member.run("curl -fsS http://127.0.0.1:9090/metrics").stdout
    reloaded = re.search(r"^prometheus_config_last_reload_success_timestamp_seconds (\S+)$", metrics, re.M).group(1)
    return started, float(reloaded)


def test_a_users_play_notifies_restart_and_the_pair_restarts_one_member_at_a_time():
    before = {name: started_and_reloaded(name) for name in PAIR}
    out = user_play("restart")
    handlers = out[out.index("RUNNING HANDLER"):]
    steps = re.findall(r"RUNNING HANDLER \[[^\]]*Restart \| ([a-z ]+?): prometheus on (tda-mol-prometheus_ha-prom\d)",
                       handlers)
    order = [(step, member) for step, member in steps if step in ("restart", "serves again")]
    assert order == [("restart", PAIR[0]), ("serves again", PAIR[0]), ("restart", PAIR[1]), ("serves again", PAIR[1])], \
        handlers[-3000:]
    for name in PAIR:
        assert started_and_reloaded(name)[0] != before[name][0], "%s was not restarted" % name


def test_a_users_play_notifies_reload_and_each_member_reloads_verified_without_a_restart():
    before = {name: started_and_reloaded(name) for name in PAIR}
    out = user_play("reload")
    assert re.search(r"RUNNING HANDLER \[[^\]]*Handler \| reload and verify, one host at a time: prometheus\]", out), \
        out[-3000:]
    for name in PAIR:
        started, reloaded = started_and_reloaded(name)
        assert started == before[name][0], "%s was restarted by a reload" % name
        assert reloaded > before[name][1], "%s did not reload" % name


def test_a_users_reload_of_a_live_set_promtool_refuses_reloads_no_member():
    """The handler validates the live set with promtool first, as a deploy validates its staged
    set: a rule file of the user's own that promtool refuses is never reloaded, on any member."""
    before = {name: started_and_reloaded(name) for name in PAIR}
    rc, out = converge("-e", "user_action=reload-broken", playbook="user-play.yml")
    try:
        assert rc != 0
        assert "users-own.yml" in out and "promtool" in out, out[-3000:]
        assert "Validate | the live configuration with the host's promtool" in out, out[-3000:]
        for name in PAIR:
            assert started_and_reloaded(name) == before[name], "%s was reloaded or restarted" % name
    finally:
        for name in PAIR:
            host_of(name).run("rm -f /etc/prometheus/rules/users-own.yml")


def test_remote_write_password_lives_in_a_file_only():
    member = host_of("tda-mol-prometheus_ha-prom1")
    secret = member.file("/etc/prometheus/secrets/remote_write_0_basic_auth_writer_password")
    assert (secret.user, secret.group, secret.mode) == ("root", "prometheus", 0o640)
    assert secret.content_string == PASSWORD
    assert PASSWORD not in member.file("/etc/prometheus/prometheus.yml").content_string


def test_verbose_rerun_leaks_no_secret():
    env = dict(os.environ)
    proc = subprocess.run(
        ["ansible-playbook", "-vvv", "--diff", "-i", env["MOLECULE_INVENTORY_FILE"],
         os.path.join(env["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")],
        capture_output=True, text=True, env=env, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    for secret in (PASSWORD, "ha-store-Vm-31e8a0", "ha-store-key-5c2d9e"):
        assert secret not in output
    with open(os.path.join(env["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "server.key")) as handle:
        for line in handle.read().splitlines():
            if line and "PRIVATE KEY" not in line:
                assert line not in output
