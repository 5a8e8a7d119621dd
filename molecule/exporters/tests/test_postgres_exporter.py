"""postgres_exporter logs in with the password from its file and is scraped by a real Prometheus:
pg_up is 1, and every PostgreSQL alert of the profile has data (and does not fire)."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_dashboard_metrics_exported, assert_dashboard_queries_return_data, assert_profile_alerts_have_data, exposure, query, wait_for  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "pg-exp-8d1c5e0b7a"


def test_target_up_and_pg_up(host):
    assert wait_for(lambda: query(host, 'up{job="postgres"} == 1'), timeout=60)
    assert wait_for(lambda: query(host, 'pg_up{job="postgres"} == 1'), timeout=60)


def test_profile_postgresql_alerts_have_data(host):
    assert_profile_alerts_have_data(host, "PostgreSQL")


def test_password_only_in_its_file(host):
    secret = host.file("/etc/postgres_exporter/data-source-password")
    assert secret.content_string == PASSWORD
    assert secret.mode == 0o640 and secret.user == "root" and secret.group == "postgres-exp"
    unit = host.file("/etc/systemd/system/postgres_exporter.service").content_string
    assert PASSWORD not in unit and "DATA_SOURCE_PASS_FILE=/etc/postgres_exporter/data-source-password" in unit
    pid = host.run("systemctl show -P MainPID postgres_exporter").stdout.strip()
    assert PASSWORD not in host.run("tr '\\0' ' ' < /proc/%s/cmdline" % pid).stdout
    assert PASSWORD not in host.run("tr '\\0' '\\n' < /proc/%s/environ" % pid).stdout


def test_wrong_password_shows_as_pg_up_0(host):
    """The exporter still answers when it cannot log in; pg_up says so (what PostgreSQLDown uses)."""
    path = "/etc/postgres_exporter/data-source-password"
    try:
        host.run("printf wrong > %s && systemctl restart postgres_exporter" % path)
        assert wait_for(lambda: query(host, 'pg_up{job="postgres"} == 0'), timeout=60)
        assert wait_for(lambda: query(host, 'up{job="postgres"} == 1'), timeout=30)
    finally:
        host.run("printf %s > %s && systemctl restart postgres_exporter" % (PASSWORD, path))
    assert wait_for(lambda: query(host, 'pg_up{job="postgres"} == 1'), timeout=60)


def test_unit_exposure(host):
    assert exposure(host, "postgres_exporter", "prometheus-postgres-exporter") <= 2.0


def test_every_metric_the_dashboards_read_is_exported(host):
    assert_dashboard_metrics_exported(host, "postgres_exporter", "http://127.0.0.1:9187/metrics")


def test_postgresql_dashboard_queries_return_data(host):
    assert assert_dashboard_queries_return_data(host, ["postgres_exporter"], ["postgresql"]) >= 8
