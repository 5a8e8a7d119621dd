"""node_exporter with TLS and basic auth: 401 without credentials, 200 with, and no secret in -vvv output."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, converge  # noqa: E402  pylint: disable=wrong-import-position

URL = "https://127.0.0.1:9100/metrics"
PASSWORD = "tls-scenario-S3cret-9f2c71"


def curl(host, *args):
    return host.run("curl -sS -o /dev/null -w '%%{http_code}' --cacert /root/test-ca.crt %s " + " ".join(args), URL)


def test_no_credentials_gets_401(host):
    assert curl(host).stdout == "401"


def test_wrong_password_gets_401(host):
    assert curl(host, "-u prometheus:wrong").stdout == "401"


def test_credentials_get_200_with_metrics(host):
    result = host.run("curl -fsS --cacert /root/test-ca.crt -u prometheus:%s %s", PASSWORD, URL)
    assert result.rc == 0, result.stderr
    assert "node_cpu_seconds_total" in result.stdout


def test_plain_http_is_refused(host):
    result = host.run("curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:9100/metrics")
    assert result.stdout == "400"  # Go's TLS server answers plain HTTP with 400


def test_secret_files_are_not_world_readable(host):
    key = host.file("/etc/node_exporter/web/tls.key")
    assert (key.user, key.group, key.mode) == ("root", "node-exp", 0o640)
    web = host.file("/etc/node_exporter/web-config.yml")
    assert (web.user, web.group, web.mode) == ("root", "node-exp", 0o640)
    assert PASSWORD not in web.content_string
    assert "$2b$" in web.content_string


def test_unit_passes_the_web_config_flag(host):
    assert "--web.config.file=/etc/node_exporter/web-config.yml" in host.file(
        "/etc/systemd/system/node_exporter.service").content_string


@pytest.fixture(scope="module")
def verbose_rerun():
    """A converge with -vvv --diff, as an operator debugging a play would run it."""
    env = dict(os.environ)
    scenario = env["MOLECULE_SCENARIO_DIRECTORY"]
    proc = subprocess.run(
        ["ansible-playbook", "-vvv", "--diff", "-i", env["MOLECULE_INVENTORY_FILE"],
         os.path.join(scenario, "converge.yml")],
        capture_output=True, text=True, env=env, check=False)
    return proc


def test_verbose_rerun_is_unchanged_and_leaks_no_secret(verbose_rerun):
    output = verbose_rerun.stdout + verbose_rerun.stderr
    assert verbose_rerun.returncode == 0, output[-3000:]
    assert "changed=0" in output
    assert PASSWORD not in output
    pki = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")
    with open(os.path.join(pki, "server.key")) as handle:
        key_lines = [line for line in handle.read().splitlines() if line and "PRIVATE KEY" not in line]
    assert key_lines
    for line in key_lines:
        assert line not in output, "a line of the TLS key appears in the -vvv output"


def user_play(action):
    """The scenario's user-play.yml, a user's own play, with the handler to notify."""
    rc, out = converge("-e", "user_action=%s" % action, playbook="user-play.yml")
    assert rc == 0, out[-3000:]
    return out


def started(host):
    return host.run("systemctl show -P ExecMainStartTimestampMonotonic node_exporter").stdout.strip()


def test_a_users_play_notifies_restart_and_it_serves_again_behind_tls(host):
    before = started(host)
    out = user_play("restart")
    assert "RUNNING HANDLER" in out and "Restart | serves again: node_exporter on" in out, out[-3000:]
    assert started(host) != before, "node_exporter was not restarted"
    assert curl(host, "-u prometheus:%s" % PASSWORD).stdout == "200"


def test_a_users_play_notifies_reload_and_nothing_restarts(host):
    before = started(host)
    out = user_play("reload")
    assert "nothing to reload (the web config is read on every request), it serves: node_exporter" in out, out[-3000:]
    assert started(host) == before, "a reload restarted node_exporter"


def test_check_mode_predicts_the_restart_of_a_collector_change(host):
    check, _real = assert_check_mode_predicts_the_real_run(
        host, ["-e", json.dumps({"node_exporter_disabled_collectors": ["mdadm"]})],
        ["/etc/node_exporter", "/etc/systemd/system/node_exporter.service"], ["node_exporter"])
    assert "--no-collector.mdadm" in check and "Restart | restart: node_exporter on" in check, check[-3000:]
    assert "--no-collector.mdadm" in host.run("systemctl show -P ExecStart node_exporter").stdout
    assert PASSWORD not in check
    rc, out = converge()
    assert rc == 0, out[-3000:]


def test_a_key_that_is_not_the_certificates_is_refused_before_anything_changes(host):
    """The CA's key beside the server's certificate: refused on the controller, in check mode as in
    the real run, naming the daemon; the host keeps serving what it had."""
    before = host.run("find /etc/node_exporter /etc/systemd/system/node_exporter.service -type f -exec sha256sum {} + "
                      "| sort; systemctl show -P MainPID node_exporter").stdout
    wrong = json.dumps({"node_exporter_web_tls_key": "{{ lookup('ansible.builtin.file', tls_scenario_pki ~ '/ca.key') }}"})
    for mode in (["--check"], []):
        rc, out = converge(*(mode + ["-e", wrong]))
        assert rc != 0, out[-3000:]
        assert "the TLS key is not the key of the certificate" in out, out[-3000:]
        assert "PRIVATE KEY" not in out
    assert host.run("find /etc/node_exporter /etc/systemd/system/node_exporter.service -type f -exec sha256sum {} + "
                    "| sort; systemctl show -P MainPID node_exporter").stdout == before
    assert curl(host, "-u prometheus:%s" % PASSWORD).stdout == "200"
