"""secrets_to_files: secrets leave the config for files; ${VAR} placeholders are refused."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.secrets_to_files import secrets_to_files


def test_basic_auth_and_authorization_move_to_files():
    section = [{"url": "https://rw.example/api/v1/write",
                "basic_auth": {"username": "tda", "password": "s3cret"}},
               {"url": "https://other/write", "authorization": {"credentials": "tok"}}]
    out = secrets_to_files(section, "/etc/prometheus/secrets", "remote_write")
    assert out["data"][0]["basic_auth"] == {
        "username": "tda", "password_file": "/etc/prometheus/secrets/remote_write_0_basic_auth_tda_password"}
    assert out["data"][1]["authorization"] == {
        "credentials_file": "/etc/prometheus/secrets/remote_write_1_authorization_credentials"}
    assert {f["content"] for f in out["files"]} == {"s3cret", "tok"}
    assert "s3cret" not in repr(out["data"])


def test_existing_file_references_and_other_fields_stay():
    section = [{"url": "u", "basic_auth": {"username": "a", "password_file": "/run/secret"}}]
    out = secrets_to_files(section, "/x", "rw")
    assert out["data"] == section and out["files"] == []


def test_env_placeholder_is_refused_with_its_path():
    with pytest.raises(AnsibleFilterError, match=r"remote_write.0.basic_auth.password holds \$\{REMOTE"):
        secrets_to_files([{"basic_auth": {"password": "${REMOTE_WRITE_PASSWORD}"}}], "/x", "remote_write")


def test_custom_fields_for_alertmanager():
    receivers = [{"name": "ops", "slack_configs": [{"api_url": "https://hooks.slack/T/B/x", "channel": "#ops"}]}]
    out = secrets_to_files(receivers, "/etc/alertmanager/secrets", "receivers", {"api_url": "api_url_file"})
    assert out["data"][0]["slack_configs"][0] == {
        "api_url_file": "/etc/alertmanager/secrets/receivers_0_slack_configs_0_api_url", "channel": "#ops"}
