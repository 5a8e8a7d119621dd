"""Prometheus 2.42.0 -> 3.5.3 from archives: samples survive the upgrade; a downgrade to a 2.x
that cannot read the 3.x TSDB is refused before anything changes."""
import json
import os
import re
import subprocess
import time
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, converge, get_json  # noqa: E402  pylint: disable=wrong-import-position

API = "http://127.0.0.1:9090"
STATE = {}


def api(host, path):
    return get_json(host, API + path)


def running_version(host):
    return api(host, "/api/v1/status/buildinfo")["data"]["version"]


def samples_at(host, moment):
    data = api(host, "/api/v1/query?query=up{job=\"prometheus\"}&time=%s" % moment)["data"]["result"]
    return data


def test_archive_2x_runs_and_writes_samples(host):
    assert running_version(host).startswith("2.42.0")
    deadline = time.time() + 30
    while not samples_at(host, time.time()) and time.time() < deadline:
        time.sleep(1)
    time.sleep(3)
    STATE["moment"] = time.time() - 2
    assert samples_at(host, STATE["moment"]), "no sample written by 2.42.0"
    print("prometheus 2.42.0 (archive): " +
          host.run("systemd-analyze security prometheus --no-pager | tail -1").stdout.strip())


def test_upgrade_to_3x_keeps_the_samples(host):
    # check mode first: with a configuration change in the same run, it validates with the
    # controller's verified promtool 3.5.3 (the host's is 2.42.0 until the real run installs the
    # new one) and predicts the upgrade's changed tasks
    changed_global = {"prometheus_global": {"scrape_interval": "3s", "scrape_timeout": "2s", "evaluation_interval": "5s"}}
    check, out = assert_check_mode_predicts_the_real_run(
        host, ["-e", "archive_version=3.5.3", "-e", json.dumps(changed_global)],
        ["/etc/prometheus", "/usr/local/bin/prometheus", "/usr/local/bin/promtool", "/etc/systemd/system/prometheus.service"],
        ["prometheus"], check_only=["-v"])
    assert re.search(r"tda-candidate-[^/]+/[.]tool-promtool \(promtool, version 3[.]5[.]3", check), check[-4000:]
    assert running_version(host).startswith("3.5.3")
    assert re.search(r"TSDB\s+snapshot\s+taken\s+by\s+Prometheus\s+2\.42\.0\s+before\s+the\s+upgrade", out), out[-2000:]
    snapshots = host.run("ls /var/lib/prometheus/data/snapshots").stdout.split()
    assert len(snapshots) == 1, snapshots
    # a snapshot holds the blocks and the head as blocks: at least one index file
    assert host.run("find /var/lib/prometheus/data/snapshots -name index").stdout.strip(), "empty snapshot"
    before = samples_at(host, STATE["moment"])
    assert before and before[0]["value"][1] == "1", "samples written by 2.42.0 are gone after the upgrade"
    assert host.file("/usr/local/bin/promtool").exists
    assert "version 3.5.3" in host.run("/usr/local/bin/promtool --version").stdout
    print("prometheus 3.5.3 (archive): " +
          host.run("systemd-analyze security prometheus --no-pager | tail -1").stdout.strip())


def test_downgrade_to_a_2x_before_2_55_is_refused(host):
    binary = host.run("sha256sum /usr/local/bin/prometheus").stdout
    rc, out = converge("-e", "archive_version=2.42.0")
    assert rc != 0
    assert "2.55.0" in out and "Nothing was changed" in out, out[-2000:]
    assert host.run("sha256sum /usr/local/bin/prometheus").stdout == binary
    assert running_version(host).startswith("3.5.3")


def test_agent_mode_and_back_keep_the_tsdb(host):
    rc, out = converge("-e", "archive_version=3.5.3", "-e", "prometheus_agent_mode=true")
    assert rc == 0, out[-3000:]
    flags = api(host, "/api/v1/status/flags")["data"]
    assert flags.get("agent") == "true" and flags["storage.agent.path"] == "/var/lib/prometheus/agent"
    assert host.run("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9090/api/v1/rules").stdout != "200"
    rc, out = converge("-e", "archive_version=3.5.3")
    assert rc == 0, out[-3000:]
    assert api(host, "/api/v1/status/flags")["data"].get("agent") == "false"
    assert samples_at(host, STATE["moment"]), "the TSDB lost its samples across agent mode"


def test_offline_install_with_the_mirror_stopped(host):
    """The same release from a directory on the controller, with no network: same binary, no restart."""
    env = os.environ
    subprocess.run([sys.executable, os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], "molecule", "shared", "mirror",
                                                 "serve.py"), "stop",
                    os.path.join(env["MOLECULE_EPHEMERAL_DIRECTORY"], "mirror-state")], check=True)
    binary = host.run("sha256sum /usr/local/bin/prometheus").stdout
    started = host.run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout
    offline_dir = os.path.join(env["MOLECULE_PROJECT_DIRECTORY"], ".cache", "mirror", "prometheus", "releases",
                               "download", "v3.5.3")
    rc, out = converge("-e", "archive_version=3.5.3", "-e", "prometheus_install_method=offline",
                       "-e", "prometheus_offline_dir=%s" % offline_dir)
    assert rc == 0, out[-3000:]
    assert host.run("sha256sum /usr/local/bin/prometheus").stdout == binary
    assert host.run("systemctl show -P ExecMainStartTimestampMonotonic prometheus").stdout == started
    assert running_version(host).startswith("3.5.3")
