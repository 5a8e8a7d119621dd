"""alertmanager_validate against Debian's real amtool."""
import textwrap

CONFIG = """\
route:
  receiver: default
  group_by: [alertname, service]
  routes:
    - matchers: ['severity="critical"']
      receiver: pagerduty
      continue: true
    - matchers: ['service="tda-api"']
      receiver: dev-team
templates:
  - 'templates/*.tmpl'
receivers:
  - name: default
    webhook_configs:
      - url: http://127.0.0.1:9/default
  - name: pagerduty
    webhook_configs:
      - url: http://127.0.0.1:9/pagerduty
  - name: dev-team
    slack_configs:
      - api_url: http://127.0.0.1:9/slack
        channel: '#dev'
        title: '{{ template "slack.title" . }}'
        text: '{{ template "slack.text" . }}'
"""

TEMPLATES = """\
{{ define "slack.title" }}{{ .CommonLabels.alertname }}{{ end }}
{{ define "slack.text" }}{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}{{ end }}
"""


def write(tmp_path, config=CONFIG, templates=TEMPLATES):
    (tmp_path / "templates").mkdir(exist_ok=True)
    if templates is not None:
        (tmp_path / "templates" / "slack.tmpl").write_text(templates)
    path = tmp_path / "alertmanager.yml"
    path.write_text(config)
    return path


def test_valid_config_with_templates_and_routes_passes(tmp_path, module, amtool):
    config = write(tmp_path)
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool, route_tests=[
        dict(labels=dict(severity="critical", service="tda-api"), receivers=["pagerduty", "dev-team"]),
        dict(labels=dict(severity="warning", service="redis"), receivers=["default"]),
    ])
    assert rc == 0, result
    assert result["changed"] is False
    assert [t["passed"] for t in result["route_tests"]] == [True, True]
    assert result["route_tests"][0]["got"] == ["pagerduty", "dev-team"]
    assert result["templates"][0].endswith("slack.tmpl")


def test_seed_env_placeholder_in_smtp_field_is_rejected(tmp_path, module, amtool):
    # the seed wrote api_url: ${SLACK_DEV_WEBHOOK_URL}; Alertmanager never expands it and amtool rejects it
    config = write(tmp_path, config=CONFIG.replace("http://127.0.0.1:9/slack", "${SLACK_DEV_WEBHOOK_URL}"))
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0
    assert str(config) in result["msg"]
    assert result["errors"]


def test_template_that_does_not_parse_names_file_and_line(tmp_path, module, amtool):
    config = write(tmp_path, templates=TEMPLATES + '{{ define "broken" }}{{ if }}{{ end }}\n')
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0
    error = result["errors"][0]
    assert error["file"].endswith("slack.tmpl") and error["line"] == 3


def test_glob_matching_nothing_is_an_error(tmp_path, module, amtool):
    config = write(tmp_path, config=CONFIG.replace("templates/*.tmpl", "nowhere/*.tmpl"))
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0, "amtool accepts a glob that matches nothing; we must not"
    assert "nowhere/*.tmpl" in result["msg"]
    assert result["errors"][0]["line"] == 11


def test_template_used_but_defined_nowhere_is_an_error(tmp_path, module, amtool):
    config = write(tmp_path, templates='{{ define "slack.title" }}x{{ end }}\n')
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0, "amtool accepts a template name that is defined nowhere; we must not"
    assert "slack.text" in result["msg"]
    assert result["errors"][0]["file"] == str(config)


def test_builtin_template_names_count_as_defined(tmp_path, module, amtool):
    config = write(tmp_path, config=CONFIG.replace('{{ template "slack.text" . }}', '{{ template "slack.default.text" . }}'))
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc == 0, result


def test_route_test_mismatch_fails_with_what_was_reached(tmp_path, module, amtool):
    config = write(tmp_path)
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool, route_tests=[
        dict(labels=dict(severity="warning", service="postgresql"), receivers=["ops-team"]),
    ])
    assert rc != 0
    assert result["route_tests"][0]["got"] == ["default"]
    assert "ops-team" in result["msg"] and "default" in result["msg"]


def test_flow_style_templates_list(tmp_path, module, amtool):
    flow = CONFIG.replace("templates:\n  - 'templates/*.tmpl'\n", "templates: ['templates/*.tmpl', 'missing/*.tmpl']\n")
    config = write(tmp_path, config=textwrap.dedent(flow))
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0 and "missing/*.tmpl" in result["msg"]


def test_unindented_templates_list_as_to_nice_yaml_writes_it(tmp_path, module, amtool):
    """The role writes alertmanager.yml with to_nice_yaml: list items at the key's indentation."""
    unindented = CONFIG.replace("templates:\n  - 'templates/*.tmpl'\n", "templates:\n- templates/*.tmpl\n- missing/*.tmpl\n")
    assert unindented != CONFIG
    config = write(tmp_path, config=textwrap.dedent(unindented))
    rc, result = module("alertmanager_validate", config_file=str(config), amtool=amtool)
    assert rc != 0 and "missing/*.tmpl" in result["msg"] and "templates/*.tmpl" not in result["msg"]
