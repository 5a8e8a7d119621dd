"""alertmanager_silence against a real Alertmanager on 127.0.0.1: idempotent, check mode, diff."""
import json
import urllib.request

MATCHERS = ['instance=~"mon1(:[0-9]+)?"', 'severity="warning"']
COMMENT = "rolling restart of mon1"


def active_silences(alertmanager):
    with urllib.request.urlopen(alertmanager.url + "/api/v2/silences", timeout=5) as resp:
        return [s for s in json.load(resp) if s["status"]["state"] == "active"]


def silence(module, alertmanager, **extra):
    args = dict(url=alertmanager.url, matchers=MATCHERS, comment=COMMENT, duration="10m")
    args.update(extra)
    return module("alertmanager_silence", **args)


def test_create_then_rerun_changes_nothing(alertmanager, module):
    rc, first = silence(module, alertmanager)
    assert rc == 0 and first["changed"] is True
    rc, second = silence(module, alertmanager)
    assert rc == 0 and second["changed"] is False
    assert second["silence_id"] == first["silence_id"]
    silences = active_silences(alertmanager)
    assert len(silences) == 1
    names = {(m["name"], m["value"], m["isRegex"]) for m in silences[0]["matchers"]}
    assert names == {("instance", "mon1(:[0-9]+)?", True), ("severity", "warning", False)}


def test_check_mode_creates_nothing_and_shows_a_diff(alertmanager, module):
    rc, result = silence(module, alertmanager, _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and result["changed"] is True
    assert result["diff"]["before"] == {} and result["diff"]["after"]["comment"] == COMMENT
    assert active_silences(alertmanager) == []


def test_longer_duration_extends_the_same_identity(alertmanager, module):
    silence(module, alertmanager)
    rc, result = silence(module, alertmanager, duration="3h")
    assert rc == 0 and result["changed"] is True
    silences = active_silences(alertmanager)
    assert len(silences) == 1
    assert silences[0]["endsAt"] == result["silence"]["endsAt"]


def test_absent_expires_it_and_is_idempotent(alertmanager, module):
    silence(module, alertmanager)
    rc, result = silence(module, alertmanager, state="absent")
    assert rc == 0 and result["changed"] is True and len(result["expired"]) == 1
    assert active_silences(alertmanager) == []
    rc, again = silence(module, alertmanager, state="absent")
    assert rc == 0 and again["changed"] is False


def test_a_different_comment_is_a_different_silence(alertmanager, module):
    silence(module, alertmanager)
    rc, result = silence(module, alertmanager, comment="another reason")
    assert rc == 0 and result["changed"] is True
    assert len(active_silences(alertmanager)) == 2


def test_bad_matcher_and_duration_fail_clearly(alertmanager, module):
    rc, result = silence(module, alertmanager, matchers=["not a matcher"])
    assert rc != 0 and "Alertmanager's syntax" in result["msg"]
    rc, result = silence(module, alertmanager, duration="ten minutes")
    assert rc != 0 and "duration" in result["msg"]
