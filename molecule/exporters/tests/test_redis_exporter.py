"""redis_exporter authenticates with the password from its file and is scraped by a real
Prometheus: redis_up is 1, and every Redis alert of the profile has data (and does not fire)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_dashboard_metrics_exported, assert_dashboard_queries_return_data, assert_profile_alerts_have_data, exposure, query, wait_for  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "redis-exp-4f2a9c71d3"
PASSWORD_FILE = "/etc/redis_exporter/redis-passwords.json"


def test_target_up_and_redis_up(host):
    assert wait_for(lambda: query(host, 'up{job="redis"} == 1'), timeout=60)
    assert wait_for(lambda: query(host, 'redis_up{job="redis"} == 1'), timeout=60)
    # a named series only an authenticated session can read
    assert wait_for(lambda: query(host, 'redis_memory_max_bytes{job="redis"} == 64 * 1024 * 1024'), timeout=30)


def test_profile_redis_alerts_have_data(host):
    host.run("redis-cli -a %s --no-auth-warning set tda:probe 1 PX 10" % PASSWORD)
    assert_profile_alerts_have_data(host, "Redis", timeout=90)


def test_password_only_in_its_file(host):
    secret = host.file(PASSWORD_FILE)
    assert json.loads(secret.content_string) == {"redis://127.0.0.1:6379": PASSWORD}
    assert secret.mode == 0o640 and secret.user == "root" and secret.group == "redis-exp"
    unit = host.file("/etc/systemd/system/redis_exporter.service").content_string
    assert PASSWORD not in unit and "--redis.password-file=" + PASSWORD_FILE in unit
    pid = host.run("systemctl show -P MainPID redis_exporter").stdout.strip()
    assert PASSWORD not in host.run("tr '\\0' ' ' < /proc/%s/cmdline" % pid).stdout
    assert PASSWORD not in host.run("tr '\\0' '\\n' < /proc/%s/environ" % pid).stdout


def test_redis_down_shows_as_redis_up_0(host):
    try:
        assert host.run("systemctl stop redis-server").rc == 0
        assert wait_for(lambda: query(host, 'redis_up{job="redis"} == 0'), timeout=60)
        assert query(host, 'up{job="redis"} == 1'), "the exporter itself keeps answering"
    finally:
        host.run("systemctl start redis-server")
    assert wait_for(lambda: query(host, 'redis_up{job="redis"} == 1'), timeout=60)


def test_unit_exposure(host):
    assert exposure(host, "redis_exporter", "prometheus-redis-exporter") <= 2.0


def test_every_metric_the_dashboards_read_is_exported(host):
    assert_dashboard_metrics_exported(host, "redis_exporter", "http://127.0.0.1:9121/metrics")


def test_redis_dashboard_queries_return_data(host):
    host.run("redis-cli -a %s --no-auth-warning get tda:probe" % PASSWORD)
    assert assert_dashboard_queries_return_data(host, ["redis_exporter"], ["redis"]) >= 6
