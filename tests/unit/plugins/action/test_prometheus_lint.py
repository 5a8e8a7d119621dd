"""prometheus_lint: each defect class caught on an example of its own, and clean rules pass.

The library is tested directly; the action plugin through a real ansible-playbook run.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint

ROOT = Path(__file__).resolve().parents[4]


def alert(expr, name="A", labels=None, annotations=None, for_="5m"):
    rule = {"alert": name, "expr": expr, "labels": {"severity": "warning", "service": "tda-api"},
            "annotations": {"summary": "s", "description": "d"}}
    if for_:
        rule["for"] = for_
    if labels is not None:
        rule["labels"] = labels
    if annotations is not None:
        rule["annotations"] = annotations
    return rule


def checks(*rules):
    groups = [{"name": "g", "rules": list(rules)}]
    return sorted({f["check"] for f in promlint.lint_rules(groups, file="r.yml")})


CASES = {
    "histogram-quantile-no-rate": "histogram_quantile(0.95, tda_api_request_duration_seconds_bucket) > 2",
    "histogram-quantile-drops-le": "histogram_quantile(0.95, sum(rate(tda_api_request_duration_seconds_bucket[5m]))) > 2",
    "rate-non-counter": "rate(kafka_producer_byte_rate[5m]) > 100",
    "ratio-self-division": 'rate(tda_api_requests_total{status=~"5.."}[5m]) / rate(tda_api_requests_total[5m]) > 0.05',
    "ratio-labels-mismatch": "sum by (instance) (pg_stat_database_numbackends) / on() group_left() vector(1) > 1 "
                             "or sum by (instance) (pg_stat_database_numbackends) / sum(pg_settings_max_connections) > 0.8",
    "division-unguarded": "redis_memory_used_bytes / redis_memory_max_bytes > 0.85",
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_expression_defect_is_caught(check):
    assert check in checks(alert(CASES[check]))


def test_promql_that_does_not_parse():
    assert checks(alert("up ==")) == ["promql-parse"]


def test_changing_value_in_alert_label():
    rule = alert("up == 0", labels={"severity": "warning", "value": "{{ $value }}"})
    assert "alert-label-changing-value" in checks(rule)


def test_humanize_percentage_on_a_non_ratio():
    rule = alert('rate(container_cpu_usage_seconds_total[5m]) > 0.8',
                 annotations={"summary": "s", "description": "CPU {{ $value | humanizePercentage }}"})
    assert "humanize-percentage-not-ratio" in checks(rule)
    ratio = alert("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1",
                  annotations={"summary": "s", "description": "{{ $value | humanizePercentage }} left"})
    assert "humanize-percentage-not-ratio" not in checks(ratio)


def test_alert_hygiene_for_severity_annotations():
    assert "alert-missing-for" in checks(alert("up == 0", for_=None))
    assert "alert-severity" in checks(alert("up == 0", labels={"severity": "page"}))
    assert "alert-annotations" in checks(alert("up == 0", annotations={"summary": "s"}))


def test_env_placeholder_in_rules_and_configs():
    rule = alert("up == 0", annotations={"summary": "s", "description": "see ${RUNBOOK_URL}"})
    assert "env-placeholder" in checks(rule)
    found = promlint.lint_placeholders("remote_write:\n  - basic_auth:\n      password: '${PASSWORD}'\n", "p.yml")
    assert [(f["check"], f["line"]) for f in found] == [("env-placeholder", 3)]


def test_corrected_rules_are_clean():
    clean = [
        alert('sum by (instance) (rate(tda_api_requests_total{status=~"5.."}[5m])) / '
              'sum by (instance) (rate(tda_api_requests_total[5m])) > 0.05',
              annotations={"summary": "s", "description": "{{ $value | humanizePercentage }}"}),
        alert("histogram_quantile(0.95, sum by (le) (rate(tda_api_request_duration_seconds_bucket[5m]))) > 2"),
        alert("redis_memory_used_bytes / (redis_memory_max_bytes > 0) > 0.85"),
        alert("up == 0"),
    ]
    assert checks(*clean) == []


def test_on_matching_is_not_taken_for_self_division():
    """on (host) matches on host only: a filter on job or type does not divide a series by itself."""
    joined = ('tda_memory_usage_bytes{job="tda-api", type="rss"} / on (host) group_left () '
              'node_memory_MemTotal_bytes{job="node"} > 0.85')
    assert "ratio-self-division" not in checks(alert(joined))
    # ignoring() still keeps the filtered label on both sides
    assert "ratio-self-division" in checks(alert('rate(x{status="500"}[5m]) / ignoring (method) rate(x[5m]) > 0'))


def test_the_profile_rules_are_clean():
    """The corrected seed (profile/rules) passes the linter it is deployed with."""
    for path in sorted((ROOT / "profile" / "rules").glob("*.yml")):
        groups = yaml.safe_load(path.read_text())["groups"]
        found = promlint.lint_rules(groups, file=str(path), allowed_severities=("critical", "warning", "info", "none"))
        assert found == [], found


def test_annotation_disables_one_check_for_one_rule():
    rule = alert("rate(flink_taskmanager_job_task_numRecordsIn[5m]) > 1",
                 annotations={"summary": "s", "description": "d", "tda_lint_disable": "rate-non-counter"})
    assert checks(rule) == []


ROUTING = {
    "route": {"receiver": "default", "group_by": ["alertname", "service"], "routes": [
        {"matchers": ['severity="critical"'], "receiver": "pagerduty", "continue": True},
        {"match_re": {"service": "^(kafka|postgres|redis|flink)$"}, "receiver": "ops-team"},
        {"matchers": ['service="payments"'], "receiver": "ops-team"},
    ]},
    "receivers": [
        {"name": "default"},
        {"name": "pagerduty", "pagerduty_configs": [{"severity": "{{ .GroupLabels.severity }}"}]},
        {"name": "ops-team"},
        {"name": "forgotten"},
    ],
}


def test_alertmanager_routing_defects():
    groups = [{"name": "g", "rules": [
        alert("up == 0", labels={"severity": "critical", "service": "postgresql"}),
        alert("up == 0", labels={"severity": "warning", "service": "kafka"}),
    ]}]
    found = promlint.lint_alertmanager(ROUTING, promlint.emitted_label_values(groups), file="am.yml")
    by_check = {}
    for f in found:
        by_check.setdefault(f["check"], []).append(f["message"])
    assert "postgres" in by_check["route-alternative-never-matches"][0]
    assert "payments" in by_check["route-never-matches"][0]
    assert "forgotten" in by_check["receiver-unused"][0]
    assert by_check["deprecated-match"]
    assert "GroupLabels.severity" in by_check["template-grouplabel-not-grouped"][0]


def run_play(tmp_path, task_args):
    playbook = tmp_path / "lint.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "lint", "tda.monitoring.prometheus_lint": task_args, "register": "lint",
                   "ignore_errors": True},
                  {"name": "show", "ansible.builtin.copy": {
                      "content": "{{ lint | to_json }}", "dest": str(tmp_path / "result.json")}}],
    }]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_LOCALHOST_WARNING="False")
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((tmp_path / "result.json").read_text())


def test_action_plugin_fails_on_errors_and_names_file_rule_and_check(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "api.yml").write_text(textwrap.dedent("""\
        groups:
          - name: tda-api-alerts
            rules:
              - alert: TDAAPIHighLatency
                expr: histogram_quantile(0.95, tda_api_request_duration_seconds_bucket) > 2.0
                for: 5m
                labels: {severity: warning, service: tda-api}
                annotations: {summary: s, description: d}
        """))
    result = run_play(tmp_path, {"rule_files": [str(rules)]})
    assert result["failed"] is True
    assert result["error_count"] == 1
    assert "api.yml" in result["msg"] and "TDAAPIHighLatency" in result["msg"]
    assert "histogram-quantile-no-rate" in result["msg"]


def test_action_plugin_disabled_checks_and_unknown_ids(tmp_path):
    rules = [{"name": "g", "rules": [alert("up == 0", for_=None)]}]
    result = run_play(tmp_path, {"rules": rules})
    assert not result.get("failed") and result["warning_count"] == 1
    result = run_play(tmp_path, {"rules": rules, "disabled_checks": ["alert-missing-for"]})
    assert result["findings"] == []
    result = run_play(tmp_path, {"rules": rules, "disabled_checks": ["no-such-check"]})
    assert result["failed"] and "no-such-check" in result["msg"]
