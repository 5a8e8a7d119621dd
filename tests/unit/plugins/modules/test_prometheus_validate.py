"""prometheus_validate against Debian's real promtool."""
import textwrap

import pytest

GOOD_RULES = """\
groups:
  - name: availability
    rules:
      - alert: TargetDown
        expr: up == 0
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} is down"
"""

RULE_TEST = """\
rule_files:
  - rules.yml
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'up{job="api", instance="api1:8000"}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 30s
        alertname: TargetDown
        exp_alerts: []
      - eval_time: 2m
        alertname: TargetDown
        exp_alerts:
          - exp_labels: {severity: critical, job: api, instance: "api1:8000"}
            exp_annotations: {summary: "api1:8000 is down"}
"""


def write_config(tmp_path, rules=GOOD_RULES, extra=""):
    (tmp_path / "rules.yml").write_text(rules)
    config = tmp_path / "prometheus.yml"
    config.write_text(textwrap.dedent("""\
        global:
          scrape_interval: 15s
        rule_files:
          - rules.yml
        scrape_configs:
          - job_name: prometheus
            static_configs:
              - targets: ['localhost:9090']
        """) + extra)
    return config


def test_valid_config_and_rules_pass(tmp_path, module, promtool):
    config = write_config(tmp_path)
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool)
    assert rc == 0, result
    assert result["changed"] is False
    assert result["errors"] == []
    assert any(f.endswith("rules.yml") for f in result["rule_files"])
    assert "2.42" in result["promtool"] or "version" in result["promtool"]


def test_seed_storage_block_is_rejected_with_file_and_line(tmp_path, module, promtool):
    # the seed put retention into prometheus.yml; Prometheus only takes it as flags
    config = write_config(tmp_path, extra="storage:\n  tsdb:\n    retention.time: 90d\n")
    before = config.read_bytes()
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool)
    assert rc != 0 and result["failed"]
    assert str(config) in result["msg"]
    error = result["errors"][0]
    assert error["file"].endswith("prometheus.yml")
    assert error["line"] == 11
    assert "retention.time" in error["message"]
    assert config.read_bytes() == before  # it never changes anything


def test_unparsable_rule_names_rule_file_line_and_column(tmp_path, module, promtool):
    config = write_config(tmp_path, rules=GOOD_RULES.replace("up == 0", "up == 0 and"))
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool)
    assert rc != 0
    error = result["errors"][0]
    assert error["file"].endswith("rules.yml")
    assert (error["line"], error["column"]) == (5, 15)
    assert "rules.yml" in result["msg"]


def test_lint_finding_that_promtool_exits_0_on_still_fails(tmp_path, module, promtool):
    duplicated = GOOD_RULES + GOOD_RULES.split("rules:\n", 1)[1]
    config = write_config(tmp_path, rules=duplicated)
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool)
    assert rc != 0, "a duplicate rule printed FAILED and must fail even though promtool exits 0"
    assert "duplicate" in result["msg"]
    assert result["errors"][0]["file"].endswith("rules.yml")


def test_rule_unit_tests_run_and_pass(tmp_path, module, promtool):
    config = write_config(tmp_path)
    tests = tmp_path / "rules_test.yml"
    tests.write_text(RULE_TEST)
    rc, result = module("prometheus_validate", config_file=str(config), rule_tests=[str(tests)], promtool=promtool)
    assert rc == 0, result
    assert result["tests_run"] == [str(tests)]


def test_failing_rule_unit_test_names_the_test_file(tmp_path, module, promtool):
    config = write_config(tmp_path)
    tests = tmp_path / "rules_test.yml"
    tests.write_text(RULE_TEST.replace("eval_time: 30s", "eval_time: 61s").replace(
        "exp_alerts: []", "exp_alerts: [{exp_labels: {severity: critical, job: api, instance: 'api1:8000'}}]"))
    rc, result = module("prometheus_validate", config_file=str(config), rule_tests=[str(tests)], promtool=promtool)
    assert rc != 0
    assert str(tests) in result["msg"]
    assert result["errors"] and "TargetDown" in result["errors"][0]["message"]


@pytest.mark.parametrize("missing", ["config", "promtool", "test"])
def test_missing_inputs_fail_with_the_path_named(tmp_path, module, promtool, missing):
    config = write_config(tmp_path)
    args = dict(config_file=str(config), promtool=promtool)
    if missing == "config":
        args["config_file"] = str(tmp_path / "nope.yml")
    elif missing == "promtool":
        args["promtool"] = str(tmp_path / "no-promtool")
    else:
        args["rule_tests"] = [str(tmp_path / "no_test.yml")]
    rc, result = module("prometheus_validate", **args)
    assert rc != 0
    assert "nope.yml" in result["msg"] or "no-promtool" in result["msg"] or "no_test.yml" in result["msg"]


def test_a_named_file_that_does_not_exist_is_refused_naming_field_and_path(tmp_path, module, promtool):
    config = write_config(tmp_path, extra=textwrap.indent(textwrap.dedent("""\
        - job_name: api
          basic_auth: {username: u, password_file: %s}
          static_configs: [{targets: ['localhost:8000']}]
        """ % (tmp_path / "missing")), "  "))
    placed = tmp_path / "placed-later"
    references = [{"field": "scrape_configs[1].basic_auth.password_file", "path": str(tmp_path / "missing")},
                  {"field": "scrape_configs[2].basic_auth.password_file", "path": str(placed)}]
    # promtool itself accepts it
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool)
    assert rc == 0, result
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool,
                        referenced_files=references, placed=[str(placed)])
    assert rc != 0
    assert ("scrape_configs[1].basic_auth.password_file names %s, which does not exist" % (tmp_path / "missing")
            in result["msg"]), result["msg"]
    assert str(placed) not in result["msg"]  # the same run puts it in place
    (tmp_path / "missing").write_text("pw")
    rc, result = module("prometheus_validate", config_file=str(config), promtool=promtool,
                        referenced_files=references, placed=[str(placed)])
    assert rc == 0, result
