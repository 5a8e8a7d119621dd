"""alertmanager_config: the configuration that amtool accepts, with every secret in a file."""
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.alertmanager_config import alertmanager_config

SECTIONS = {
    "global": {"resolve_timeout": "5m", "smtp_smarthost": "smtp.example:587", "smtp_from": "am@example.org",
               "smtp_auth_username": "am", "smtp_auth_password": "smtp-pass-1"},
    "route": {"receiver": "ops", "group_by": ["alertname"],
              "routes": [{"match": {"severity": "critical"}, "receiver": "pager", "continue": True,
                          "routes": [{"match_re": {"service": "postgres.*"}, "receiver": "ops"}]}]},
    "inhibit_rules": [{"source_match": {"severity": "critical"}, "target_match": {"severity": "warning"},
                       "equal": ["alertname"]}],
    "receivers": [
        {"name": "ops", "slack_configs": [{"api_url": "https://hooks.slack.example/T0/B0/xyz", "channel": "#ops"}],
         "email_configs": [{"to": "ops@example.org", "auth_password": "mail-pass-2"}]},
        {"name": "pager", "pagerduty_configs": [{"routing_key": "pd-key-3"}]},
        {"name": "hook", "webhook_configs": [{"url": "http://127.0.0.1:9/hook",
                                             "http_config": {"basic_auth": {"username": "u", "password": "hp-4"}}}]},
    ],
}
SECRETS = ["smtp-pass-1", "https://hooks.slack.example/T0/B0/xyz", "mail-pass-2", "pd-key-3", "hp-4"]


def test_every_secret_goes_to_a_file_and_amtool_accepts_the_result(tmp_path, amtool):
    out = alertmanager_config(SECTIONS, str(tmp_path / "secrets"), "0.25.0")
    text = yaml.safe_dump(out["data"])
    for secret in SECRETS:
        assert secret not in text
    assert {f["content"] for f in out["files"]} == set(SECRETS)
    # 0.25 has no webhook url_file: the URL stays inline, it is not reported as a file
    assert out["data"]["receivers"][2]["webhook_configs"][0]["url"] == "http://127.0.0.1:9/hook"
    # ...and is named for masking in a diff of the file
    assert out["inline_secrets"] == ["http://127.0.0.1:9/hook"]
    (tmp_path / "secrets").mkdir()
    for item in out["files"]:
        with open(item["path"], "w") as handle:
            handle.write(item["content"])
    config = tmp_path / "alertmanager.yml"
    config.write_text(text)
    result = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_match_is_converted_to_matchers_with_a_warning():
    out = alertmanager_config(SECTIONS, "/s", "0.28.1")
    critical = out["data"]["route"]["routes"][0]
    assert critical["matchers"] == ['severity="critical"'] and "match" not in critical
    assert critical["routes"][0]["matchers"] == ['service=~"postgres.*"']
    rule = out["data"]["inhibit_rules"][0]
    assert rule["source_matchers"] == ['severity="critical"'] and rule["target_matchers"] == ['severity="warning"']
    assert len(out["warnings"]) == 4 and "route.routes.0" in out["warnings"][0]


def test_webhook_url_moves_to_a_file_from_0_26():
    out = alertmanager_config(SECTIONS, "/s", "0.28.1")
    hook = out["data"]["receivers"][2]["webhook_configs"][0]
    assert hook["url_file"] == "/s/receivers_hook_webhook_0_url" and "url" not in hook
    assert out["inline_secrets"] == []


def test_a_file_field_the_version_cannot_read_is_a_clear_error():
    sections = {"route": {"receiver": "hook"},
                "receivers": [{"name": "hook", "webhook_configs": [{"url_file": "/etc/alertmanager/hook"}]}]}
    with pytest.raises(AnsibleFilterError, match=r"receiver 'hook' webhook_configs\[0\]: url_file needs "
                                                 r"Alertmanager 0.26.0 or later, and 0.25.0 will be installed"):
        alertmanager_config(sections, "/s", "0.25.0")


def test_a_secret_without_a_file_field_in_this_version_is_refused():
    sections = {"route": {"receiver": "tg"},
                "receivers": [{"name": "tg", "telegram_configs": [{"bot_token": "t0k", "chat_id": 1}]}]}
    with pytest.raises(AnsibleFilterError, match="never written into alertmanager.yml"):
        alertmanager_config(sections, "/s", "0.25.0")


def test_env_placeholders_are_refused():
    sections = {"route": {"receiver": "p"},
                "receivers": [{"name": "p", "pagerduty_configs": [{"routing_key": "${PD_KEY}"}]}]}
    with pytest.raises(AnsibleFilterError, match=r"\$\{PD_KEY\}"):
        alertmanager_config(sections, "/s", "0.28.1")
