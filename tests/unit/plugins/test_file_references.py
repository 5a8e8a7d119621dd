"""file_references: every absolute *_file path of a configuration, with its field."""
from ansible_collections.tda.monitoring.plugins.filter.file_references import file_references


def test_every_absolute_file_field_with_its_place():
    config = {"global": {"smtp_auth_password_file": "/etc/am/secrets/smtp"},
              "rule_files": ["rules/*.yml"],
              "scrape_configs": [{"job_name": "a", "static_configs": [{"targets": ["x:1"]}]},
                                 {"job_name": "b", "basic_auth": {"username": "u", "password_file": "/s/b"},
                                  "tls_config": {"ca_file": "/pki/ca.pem", "cert_file": "relative.pem"}}],
              "receivers": [{"name": "hook", "webhook_configs": [{"url_file": "/s/hook"}]}]}
    assert file_references(config) == [
        {"field": "global.smtp_auth_password_file", "path": "/etc/am/secrets/smtp"},
        {"field": "scrape_configs[1].basic_auth.password_file", "path": "/s/b"},
        {"field": "scrape_configs[1].tls_config.ca_file", "path": "/pki/ca.pem"},
        {"field": "receivers[0].webhook_configs[0].url_file", "path": "/s/hook"}]


def test_nothing_named():
    assert file_references({}) == [] and file_references(None) == []
