"""Alertmanager from the package, behind TLS and basic auth: notifications reach every stand-in
receiver with the secrets read from files, configuration changes reload without a restart, and
every refused change leaves the running configuration in place."""
import json
import os
import re
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import (  # noqa: E402  pylint: disable=wrong-import-position
    assert_check_mode_predicts_the_real_run, assert_check_mode_refuses_like_the_real_run, assert_no_secret, changed_tasks, converge,
    exposure, secret_key_lines, wait_for)

API = "https://127.0.0.1:9093"
ADMIN = ("admin", "am-admin-Pw-51c2e0")
SECRETS = ["am-admin-Pw-51c2e0", "am-smtp-Pw-9a7d13", "am-pd-RoutingKey-44e1b7", "T0SCEN/B0ARIO/am-slack-6f02aa",
           "am-hook-Pw-d3b8c4"]
# the webhook URL's token: in a file from 0.26; on 0.25 (no url_file) inline in alertmanager.yml
# (0640), and never in any output
HOOK_TOKEN = "am-hook-Url-2e9f51"
# every receiver type the installed version reads all the secrets of, deployed routed to nowhere
# (converge.yml); inline in alertmanager.yml (0640), masked in diffs: SNS's sigv4 keys (no file form) and,
# on 0.25 (no url_file), the webhook's URL
AM_VERSION = {"debian12": "0.25.0", "debian13": "0.28.1"}[os.environ.get("TDA_PLATFORM", "debian12")]
with open(os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared", "receivers.yml")) as _file:
    EVERY_RECEIVER = [entry for entry in yaml.safe_load(_file)["receiver_types"] if AM_VERSION in entry["accepted_by"]]
RECEIVER_SECRETS = [secret for entry in EVERY_RECEIVER for secret in entry["secrets"]]
INLINE = ["AKIA-sn-25", "sn-Secret-26"] + (["https://hooks.example/wh-Url-6"] if AM_VERSION == "0.25.0" else [])
SINK = "http://127.0.0.1:9099"
# what a check run must leave alone
MANAGED = ["/etc/alertmanager", "/etc/systemd/system/alertmanager.service", "/usr/bin/prometheus-alertmanager",
           "/usr/bin/amtool"]
debian12_only = pytest.mark.skipif(os.environ.get("TDA_PLATFORM", "debian12") != "debian12",
                                   reason="the check-mode sequence runs on Debian 12; Debian 13 runs the same tasks")


def curl(host, path, *extra, auth=True):
    argv = "curl -sk %s %s '%s%s'" % ("-u %s:%s" % ADMIN if auth else "", " ".join(extra), API, path)
    return host.run(argv)


def api(host, path):
    result = curl(host, path, "-f")
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def metric(host, name):
    for line in curl(host, "/metrics").stdout.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("%s not exposed" % name)


def version(host):
    return api(host, "/api/v2/status")["versionInfo"]["version"]


def sink_records(host):
    return json.loads(host.run("curl -fsS %s/records" % SINK).stdout)


def test_web_security_401_without_credentials_200_with(host):
    assert curl(host, "/api/v2/status", "-o /dev/null -w '%{http_code}'", auth=False).stdout == "401"
    assert curl(host, "/api/v2/status", "-o /dev/null -w '%{http_code}'").stdout == "200"
    assert curl(host, "/api/v2/status", "-u admin:wrong -o /dev/null -w '%{http_code}'", auth=False).stdout == "401"
    # a single host: clustering is off, not waiting for peers that never come
    assert api(host, "/api/v2/status")["cluster"]["status"] == "disabled"


def test_secrets_live_in_private_files_never_in_the_config(host):
    config = host.file("/etc/alertmanager/alertmanager.yml")
    assert config.mode == 0o640 and config.group == "alertmanager"
    text = config.content_string
    for secret in SECRETS + [s for s in RECEIVER_SECRETS if s not in INLINE]:
        assert secret not in text, secret
    assert {"every-" + entry["type"] for entry in EVERY_RECEIVER} <= set(re.findall(r"name: (every-\S+)", text))
    assert "smtp_auth_password_file: /etc/alertmanager/secrets/" in text
    assert "routing_key_file:" in text and "api_url_file:" in text and "password_file:" in text
    for path in host.file("/etc/alertmanager/secrets").listdir():
        secret = host.file("/etc/alertmanager/secrets/" + path)
        assert secret.mode == 0o640 and secret.user == "root" and secret.group == "alertmanager", path
    # the seed's match: was converted to matchers
    assert "match:" not in text and "severity=\"critical\"" in text


def test_notifications_reach_each_receiver_through_the_secret_files(host):
    host.run("curl -fsS -X DELETE %s/records" % SINK)
    alerts = [{"labels": {"alertname": "TDAAPIDown", "severity": "critical", "service": "tda-api"},
               "annotations": {"summary": "tda-api is down"}},
              {"labels": {"alertname": "DiskAlmostFull", "severity": "warning", "team": "ops"},
               "annotations": {"summary": "disk 91% full"}},
              {"labels": {"alertname": "InfoOnly", "severity": "info"}, "annotations": {"summary": "fyi"}}]
    posted = curl(host, "/api/v2/alerts", "-f -X POST -H 'Content-Type: application/json'",
                  "-d '%s'" % json.dumps(alerts))
    assert posted.rc == 0, posted.stderr

    def all_four():
        records = sink_records(host)
        kinds = {(r["kind"], r.get("path", "").split("/")[1] if r.get("path") else "") for r in records}
        wanted = {("http", "pagerduty"), ("http", "slack"), ("http", "webhook"), ("smtp", "")}
        return records if wanted <= kinds else None
    records = wait_for(all_four, timeout=30)
    by_kind = {}
    for record in records:
        key = record["kind"] if record["kind"] == "smtp" else record["path"].split("/")[1]
        by_kind.setdefault(key, []).append(record)

    pagerduty = by_kind["pagerduty"][0]["body"]
    assert pagerduty["routing_key"] == "am-pd-RoutingKey-44e1b7"  # read from routing_key_file
    assert pagerduty["payload"]["summary"].strip() == "tda-api is down"  # the seed's slack.title
    slack = by_kind["slack"][0]
    assert slack["path"] == "/slack/T0SCEN/B0ARIO/am-slack-6f02aa"  # api_url_file
    attachment = slack["body"]["attachments"][0]
    # the seed's slack.text and slack.color
    assert "*Alert:* tda-api is down" in attachment["text"] and "*Service:* tda-api" in attachment["text"]
    assert "*Severity:* critical" in attachment["text"] and attachment["color"] == "danger"
    webhook = by_kind["webhook"][0]
    assert [a["labels"]["alertname"] for a in webhook["body"]["alerts"]] == ["InfoOnly"]
    assert webhook["headers"]["Authorization"] == "Basic aG9vazphbS1ob29rLVB3LWQzYjhjNA=="  # hook:password_file
    mail = by_kind["smtp"][0]
    # the sink refuses AUTH before STARTTLS and mail before AUTH: this arrived over TLS, authenticated
    assert mail["tls"] is True and mail["auth_user"] == "alertmanager"
    # the seed's dev-team e-mail: its subject and body, now as headers.Subject and text
    assert "Subject: TDA API Alert: DiskAlmostFull" in mail["data"]
    assert "Alert: disk 91% full" in mail["data"]
    # each alert went where its route says, and nowhere else
    assert len(by_kind["pagerduty"]) == 1 and len(by_kind["slack"]) == 1 and len(by_kind["smtp"]) == 1


def test_config_change_reloads_without_restart(host):
    started = metric(host, "process_start_time_seconds")
    reloaded = metric(host, "alertmanager_config_last_reload_success_timestamp_seconds")
    hash_before = metric(host, "alertmanager_config_hash")
    rc, out = converge("-e", "am_group_wait=3s")
    assert rc == 0, out[-3000:]
    assert "group_wait: 3s" in api(host, "/api/v2/status")["config"]["original"]
    assert metric(host, "process_start_time_seconds") == started, "Alertmanager was restarted"
    assert metric(host, "alertmanager_config_last_reload_success_timestamp_seconds") > reloaded
    assert metric(host, "alertmanager_config_hash") != hash_before
    assert "group_wait: 1s" in host.file("/etc/alertmanager/.previous/alertmanager.yml").content_string
    rc, out = converge()
    assert rc == 0, out[-3000:]


@debian12_only
def test_check_mode_predicts_the_real_run_of_a_routing_change(host):
    check, _real = assert_check_mode_predicts_the_real_run(host, ["-e", "am_group_wait=2s"], MANAGED, ["alertmanager"])
    assert re.search(r"^\+\s+group_wait: 2s$", check, re.M), check[-3000:]
    for secret in SECRETS + [HOOK_TOKEN]:
        assert secret not in check, "a secret appears in the --check --diff output"
    assert "group_wait: 2s" in api(host, "/api/v2/status")["config"]["original"]
    rc, out = converge()
    assert rc == 0, out[-3000:]


@debian12_only
def test_check_mode_refuses_what_only_amtool_refuses_with_the_real_runs_message(host):
    # what Alertmanager serves, by its own hash, and when it last loaded it (no reload happens)
    served = [metric(host, name) for name in ("alertmanager_config_hash", "alertmanager_config_last_reload_success_timestamp_seconds")]
    said = assert_check_mode_refuses_like_the_real_run(
        host, ["-e", "am_group_wait=5x"], MANAGED, ["alertmanager"],
        "amtool rejected /etc/alertmanager/.staging/alertmanager.yml")
    assert "5x" in said
    assert [metric(host, name) for name in ("alertmanager_config_hash",
                                            "alertmanager_config_last_reload_success_timestamp_seconds")] == served
    rc, out = converge()
    assert rc == 0 and changed_tasks(out) == 0, out[-3000:]


def test_route_test_mismatch_stops_the_deploy_before_the_swap(host):
    before = host.file("/etc/alertmanager/alertmanager.yml").content_string
    started = metric(host, "process_start_time_seconds")
    wrong = {"alertmanager_route_tests": [{"labels": {"severity": "warning", "team": "ops"},
                                           "receivers": ["pagerduty"]}]}
    rc, out = converge("-e", "am_group_wait=5s", "-e", json.dumps(wrong))
    assert rc != 0
    assert "route tests failed" in out and "ops-email" in out, out[-2500:]
    assert host.file("/etc/alertmanager/alertmanager.yml").content_string == before
    assert metric(host, "process_start_time_seconds") == started


def test_template_defined_nowhere_is_refused_and_the_old_config_keeps_serving(host, tmp_path):
    (tmp_path / "broken.tmpl").write_text('{{ define "tda.extra" }}{{ template "tda.nowhere" . }}{{ end }}\n')
    before = host.file("/etc/alertmanager/alertmanager.yml").content_string
    started = metric(host, "process_start_time_seconds")
    rc, out = converge("-e", json.dumps({"alertmanager_template_files": [
        os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "profile", "templates", "*.tmpl"),
        str(tmp_path / "broken.tmpl")]}))
    assert rc != 0
    assert "tda.nowhere" in out and "defined nowhere" in out, out[-2500:]
    assert host.file("/etc/alertmanager/alertmanager.yml").content_string == before
    assert not host.file("/etc/alertmanager/templates/broken.tmpl").exists
    assert metric(host, "process_start_time_seconds") == started
    assert api(host, "/api/v2/status")["config"]["original"]


def test_webhook_url_file_against_what_the_version_reads(host):
    """0.25 (Debian 12) has no url_file: asking for it fails before any host changes, naming the
    receiver and the fix. 0.26 and later (Debian 13) get the webhook URL in a file."""
    if version(host).startswith("0.25."):
        before = host.file("/etc/alertmanager/alertmanager.yml").content_string
        receivers = {"alertmanager_route": {"receiver": "hook"},
                     "alertmanager_route_tests": [],
                     "alertmanager_receivers": [{"name": "hook", "webhook_configs": [
                         {"url_file": "/etc/alertmanager/secrets/hook-url"}]}]}
        rc, out = converge("-e", json.dumps(receivers))
        assert rc != 0
        assert "receiver 'hook' webhook_configs[0]: url_file needs Alertmanager 0.26.0 or later" in out, out[-2000:]
        assert host.file("/etc/alertmanager/alertmanager.yml").content_string == before
        assert "secrets/hook-url" not in host.file("/etc/alertmanager/.staging/alertmanager.yml").content_string
    else:
        text = host.file("/etc/alertmanager/alertmanager.yml").content_string
        assert "url_file: /etc/alertmanager/secrets/receivers_ops-webhook_webhook_0_url" in text
        assert "127.0.0.1:9099/webhook/ops" not in text


def test_no_secret_in_verbose_output(host):
    rc, out = converge(verbose=True)
    assert rc == 0, out[-3000:]
    # the refused runs before this one left nothing staged that this run, with the live settings, changes
    assert changed_tasks(out) == 0, out[-3000:]
    assert "match/match_re are deprecated; converted to matchers" in out
    assert_no_secret(out, SECRETS + [HOOK_TOKEN] + RECEIVER_SECRETS + secret_key_lines())


def test_no_secret_in_the_verbose_diff_of_a_pending_change(host):
    """A change to alertmanager.yml shows its diff; a secret the file must hold inline (the
    webhook URL on 0.25, which has no url_file) is masked there, before and after."""
    rc, out = converge("-e", "am_group_wait=4s", verbose=True)
    assert rc == 0, out[-3000:]
    assert re.search(r"^\+\s+group_wait: 4s$", out, re.M), out[-3000:]
    assert_no_secret(out, SECRETS + [HOOK_TOKEN] + RECEIVER_SECRETS + secret_key_lines())
    rc, out = converge()
    assert rc == 0, out[-3000:]


def test_unit_exposure(host):
    assert exposure(host, "alertmanager", "prometheus-alertmanager") <= 2.0
