"""The flink_prometheus_reporter role against real Flink: 1.20.3 and 2.3.0, their jars from PyPI's
apache-flink-libraries (tools/flink-dist.sh), run with Debian's Java 17 on loopback.

The role runs through ansible-playbook on localhost into a temporary Flink home whose lib/ and
plugins/ are the real distribution's; then a JobManager starts from that home and its reporter
must serve Flink's metrics on the port the role wrote, in whichever file that Flink reads.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.tda.monitoring.plugins.filter.flink_config import flink_config_conflicts, flink_config_file

ROOT = Path(__file__).resolve().parents[2]
FLINK_CACHE = Path(os.environ.get("TDA_CACHE", "/var/cache/tda-monitoring")) / "flink"
BEGIN, END = "# BEGIN tda.monitoring.flink_prometheus_reporter", "# END tda.monitoring.flink_prometheus_reporter"
PLAY = """
- name: The reporter on a Flink of the test
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - name: tda.monitoring.flink_prometheus_reporter
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def flink_dists():
    found = {version: FLINK_CACHE / version for version in ("1.20.3", "2.3.0")}
    missing = [version for version, path in found.items() if not (path / ".complete").exists()]
    if missing:
        pytest.skip("Flink %s not built here: run tools/flink-dist.sh" % ", ".join(missing))
    return found


def flink_home(tmp_path, dist, files):
    """A Flink home of the real distribution's jars and plugins, with these conf files."""
    home = tmp_path / "flink"
    (home / "conf").mkdir(parents=True)
    for part in ("lib", "plugins"):
        (home / part).symlink_to(dist / part)
    for name, text in files.items():
        (home / "conf" / name).write_text(text)
    return home


def run_role(tmp_path, home, check=False, **variables):
    (tmp_path / "play.yml").write_text(PLAY)
    variables = dict({"flink_prometheus_reporter_flink_home": str(home)}, **variables)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_HOME=str(ROOT / ".ansible"))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
               "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", json.dumps(variables),
               str(tmp_path / "play.yml")] + (["--check", "--diff"] if check else [])
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(ROOT), check=False)
    return result.returncode, result.stdout


def recap_changed(out):
    return int(out.rsplit("changed=", 1)[1].split()[0])


# the lab's logging configuration: to the console, which the test's log file takes
LOG4J = ROOT / "lab" / "flink" / "log4j-console.properties"


def start_jobmanager(home, dist, log):
    """A JobManager as Flink's scripts start one, minus the scripts: FLINK_PLUGINS_DIR and the classpath."""
    rest, rpc = free_port(), free_port()
    env = dict(os.environ, FLINK_PLUGINS_DIR=str(dist / "plugins"))
    return subprocess.Popen(
        ["java", "-Xmx384m", "-Dlog4j.configurationFile=%s" % LOG4J,
         "-cp", str(dist / "lib") + "/*",
         "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "--configDir", str(home / "conf"),
         "-D", "rest.port=%d" % rest, "-D", "rest.bind-address=127.0.0.1", "-D", "rest.address=127.0.0.1",
         "-D", "jobmanager.rpc.address=127.0.0.1", "-D", "jobmanager.rpc.port=%d" % rpc],
        env=env, stdout=log, stderr=subprocess.STDOUT)


def served(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as answer:
                body = answer.read().decode()
            if "flink_jobmanager_numRunningJobs" in body:
                return body
        except OSError:
            pass
        time.sleep(1)
    return ""


# (version, conf files before, the file this Flink reads, its syntax's port line)
INSTALLATIONS = [
    ("1.20.3", {"flink-conf.yaml": "jobmanager.rpc.port: 6123\n"}, "flink-conf.yaml", "metrics.reporter.prom.port: {port}"),
    # 1.20.3 with both files loads flink-conf.yaml (checked): an earlier block in config.yaml goes
    ("1.20.3", {"flink-conf.yaml": "jobmanager.rpc.port: 6123\n",
                "config.yaml": "%s\nmetrics.reporter.prom.port: 1\n%s\n" % (BEGIN, END)},
     "flink-conf.yaml", "metrics.reporter.prom.port: {port}"),
    ("1.20.3", {"config.yaml": "jobmanager:\n  rpc:\n    port: 6123\n"}, "config.yaml", 'metrics.reporter.prom.port: "{port}"'),
    ("2.3.0", {}, "config.yaml", 'metrics.reporter.prom.port: "{port}"'),
]


def test_the_reporter_serves_from_the_file_each_flink_reads(tmp_path, flink_dists):
    """Each installation configured by the role, idempotent, then started: every JobManager's
    reporter serves on the port the role wrote. All start side by side."""
    started = []
    try:
        for index, (version, files, reads, port_line) in enumerate(INSTALLATIONS):
            case = tmp_path / str(index)
            case.mkdir()
            home = flink_home(case, flink_dists[version], files)
            port = free_port()
            rc, out = run_role(case, home, flink_prometheus_reporter_port=str(port))
            assert rc == 0, out[-3000:]
            text = (home / "conf" / reads).read_text()
            assert port_line.format(port=port) in text.splitlines(), text
            for name, before in files.items():
                if name != reads:
                    assert BEGIN not in (home / "conf" / name).read_text(), "the ignored file keeps no block"
            rc, again = run_role(case, home, flink_prometheus_reporter_port=str(port))
            assert rc == 0 and recap_changed(again) == 0, again[-2000:]
            log = open(case / "jobmanager.log", "w")
            started.append((version, port, start_jobmanager(home, flink_dists[version], log), case))
        for version, port, process, case in started:
            body = served(port)
            assert body, "Flink %s served nothing on %d: %s" % (version, port, (case / "jobmanager.log").read_text()[-3000:])
            assert 'flink_jobmanager_numRegisteredTaskManagers' in body
    finally:
        for _version, _port, process, _case in started:
            process.kill()
            process.wait()


def test_a_running_flink_is_named_as_needing_a_restart_and_not_restarted(tmp_path, flink_dists):
    dist = flink_dists["2.3.0"]
    home = flink_home(tmp_path, dist, {})
    first = free_port()
    assert run_role(tmp_path, home, flink_prometheus_reporter_port=str(first))[0] == 0
    with open(tmp_path / "jobmanager.log", "w") as log:
        process = start_jobmanager(home, dist, log)
    try:
        assert served(first)
        rc, out = run_role(tmp_path, home, flink_prometheus_reporter_port=str(free_port()))
        assert rc == 0, out[-3000:]
        assert "pid %d: JobManager" % process.pid in out, out[-3000:]
        assert "restart each" in out
        assert process.poll() is None and served(first, timeout=5), "the role restarted nothing"
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_a_nested_override_is_named_with_its_line_and_nothing_changes(tmp_path, flink_dists, check):
    """Flink 2.3 would take the later of the two keys without a word: the role refuses, in check
    mode as in the real run, naming the line."""
    user = "rest:\n  port: 8081\nmetrics:\n  reporter:\n    prom:\n      port: 9999\n"
    home = flink_home(tmp_path, flink_dists["2.3.0"], {"config.yaml": user})
    rc, out = run_role(tmp_path, home, check=check)
    assert rc != 0
    said = " ".join(out.split())
    assert "config.yaml line 6: 'metrics.reporter.prom.port' sets the reporter's own key" in said, out[-3000:]
    assert "Nothing has been changed" in said
    assert (home / "conf" / "config.yaml").read_text() == user


def test_flink_2_with_only_the_legacy_file_is_told_to_migrate(tmp_path, flink_dists):
    home = flink_home(tmp_path, flink_dists["2.3.0"], {"flink-conf.yaml": "rest.port: 8081\n"})
    rc, out = run_role(tmp_path, home, check=True)
    assert rc != 0
    assert "flink-conf.yaml is ignored by Flink 2.3.0, which reads only config.yaml" in " ".join(out.split())
    assert not (home / "conf" / "config.yaml").exists()


@pytest.mark.parametrize("syntax, text, line, key, why", [
    ("yaml", "metrics.reporter.prom.port: 9250\n", 1, "metrics.reporter.prom.port", "own key"),
    ("yaml", "a: 1\nmetrics:\n  reporter.prom:\n    interval: 10 s\n", 4, "metrics.reporter.prom.interval", "own key"),
    ("yaml", "metrics:\n  reporters: [jmx]\n", 2, "metrics.reporters", "leaves out 'prom'"),
    ("legacy", "# metrics.reporter.prom.port: 1\nmetrics.reporter.prom.port: 9250 # x\n", 2,
     "metrics.reporter.prom.port", "own key"),
    ("legacy", "metrics.reporters: jmx, slf4j\n", 1, "metrics.reporters", "leaves out 'prom'"),
])
def test_conflicts_are_found_flat_or_nested_in_each_syntax(syntax, text, line, key, why):
    found = flink_config_conflicts(text, syntax, "prom", "conf", BEGIN, END)
    assert [(conflict["line"], conflict["key"]) for conflict in found] == [(line, key)]
    assert why in found[0]["why"]


def test_the_roles_own_block_and_a_list_naming_the_reporter_are_no_conflict():
    text = "metrics.reporters: jmx,prom\n%s\nmetrics.reporter.prom.port: \"9249\"\n%s\n" % (BEGIN, END)
    assert flink_config_conflicts(text, "yaml", "prom", "conf", BEGIN, END) == []
    assert flink_config_conflicts(text, "legacy", "prom", "conf", BEGIN, END) == []


def test_a_config_yaml_that_is_not_yaml_is_named_with_its_line():
    with pytest.raises(AnsibleFilterError, match=r"conf/config.yaml line 2: not valid YAML"):
        flink_config_conflicts("a: 1\nb: c: d\n", "yaml", "prom", "conf/config.yaml", BEGIN, END)


@pytest.mark.parametrize("jars, existing, reads", [
    (["flink-dist-2.3.0.jar"], [], "config.yaml"),
    (["flink-dist-2.0.0.jar"], ["config.yaml", "flink-conf.yaml"], "config.yaml"),
    (["flink-dist-1.20.3.jar"], ["flink-conf.yaml"], "flink-conf.yaml"),
    (["flink-dist-1.19.1.jar"], ["config.yaml", "flink-conf.yaml"], "flink-conf.yaml"),
    (["flink-dist-1.20.3.jar"], ["config.yaml"], "config.yaml"),
    (["flink-dist-1.19.1.jar"], [], "config.yaml"),
    (["flink-dist-1.18.1.jar"], ["config.yaml", "flink-conf.yaml"], "flink-conf.yaml"),
    (["lib/flink-dist_2.12-1.14.6.jar"], [], "flink-conf.yaml"),
])
def test_the_file_each_release_reads(jars, existing, reads):
    chosen = flink_config_file(jars, "/opt/flink/conf", existing)
    assert chosen["path"] == "/opt/flink/conf/" + reads
    assert chosen["syntax"] == ("yaml" if reads == "config.yaml" else "legacy")


def test_no_flink_dist_jar_is_not_a_flink_installation():
    with pytest.raises(AnsibleFilterError, match="no lib/flink-dist-VERSION.jar under /srv/x"):
        flink_config_file(["log4j-api-2.25.3.jar"], "/srv/x/conf", [], "/srv/x")
