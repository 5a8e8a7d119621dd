"""The TDA profile (profile/ and playbooks/group_vars/) checked as a deploy checks it: every
promtool rule unit test passes with Debian's promtool, the rules and the routing pass
prometheus_lint, amtool accepts the Alertmanager configuration and every route test passes."""
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profile"


def test_every_alert_and_recording_rule_is_counted():
    def rules(name):
        return [r for g in yaml.safe_load((PROFILE / "rules" / name).read_text())["groups"] for r in g["rules"]]
    assert len([r for r in rules("alert-rules.yml") if "alert" in r]) == 21
    assert len([r for r in rules("recording-rules.yml") if "record" in r]) == 14
    alerts = {r["alert"] for name in ("alert-rules.yml", "meta-rules.yml") for r in rules(name)}
    tested = set()
    for test_file in (PROFILE / "rule-tests").glob("*_test.yml"):
        for case in yaml.safe_load(test_file.read_text())["tests"]:
            tested.update(t["alertname"] for t in case.get("alert_rule_test", []) if t.get("exp_alerts"))
    assert alerts == tested, "alerts without a firing test: %s" % sorted(alerts - tested)


def test_promtool_rule_unit_tests(promtool):
    files = sorted(str(p) for p in (PROFILE / "rule-tests").glob("*_test.yml"))
    result = subprocess.run([promtool, "test", "rules"] + files, capture_output=True, text=True,
                            cwd=str(PROFILE / "rule-tests"), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_profile_lints_builds_and_routes_as_intended(tmp_path, amtool):
    version = subprocess.run([amtool, "--version"], capture_output=True, text=True, check=False)
    env = dict(os.environ, TDA_PROFILE_CHECK_DIR=str(tmp_path), TDA_AMTOOL=amtool,
               TDA_AMTOOL_VERSION=(version.stdout + version.stderr).split()[2],
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_HOME=str(ROOT / ".ansible"))
    inventory = ROOT / "inventories" / "production"
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
            "-e", "@%s" % (inventory / "vault.example.yml"),
            "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=%s" % sys.executable,
            str(ROOT / "playbooks" / "check-profile.yml")]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=str(ROOT), check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    config = (tmp_path / "alertmanager.yml").read_text()
    vault = yaml.safe_load((inventory / "vault.example.yml").read_text())
    # every secret went to a file; only the watchdog's webhook URL stays inline before 0.26 (no url_file)
    for name, value in vault.items():
        if name.startswith("vault_tda_remote_write") or name == "vault_tda_watchdog_url":
            continue
        assert value not in config, name
    assert 'service=~"kafka|postgresql|redis|flink|system"' in config
