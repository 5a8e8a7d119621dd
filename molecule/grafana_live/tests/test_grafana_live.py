"""A running Grafana from its APT repository: hardened settings answer as configured, the
datasources and the profile's dashboards are provisioned, a dashboard change is reloaded through
the provisioning API without a restart, a removed dashboard disappears, a new admin password
from the inventory is applied, and the dashboards' queries for what runs here return data."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import converge, query, wait_for  # noqa: E402  pylint: disable=wrong-import-position

ADMIN = ("admin", "graf-live-admin-2c81")
GRAFANA = "http://127.0.0.1:3000"


def api(host, path, auth=ADMIN, method="GET"):
    credentials = "-u '%s:%s'" % auth if auth else ""
    result = host.run("curl -sS -o /tmp/body -w '%%{http_code}' -X %s %s '%s%s'; echo; cat /tmp/body"
                      % (method, credentials, GRAFANA, path))
    status, _newline, body = result.stdout.partition("\n")
    return int(status), (json.loads(body) if body.strip().startswith(("{", "[")) else body)


def test_health_and_authentication(host):
    assert wait_for(lambda: api(host, "/api/health", auth=None)[0] == 200, timeout=60)
    assert api(host, "/api/user", auth=None)[0] == 401
    assert api(host, "/api/search", auth=None)[0] == 401, "anonymous access must be off"
    assert api(host, "/api/user", auth=("admin", "wrong"))[0] == 401
    assert api(host, "/api/user")[0] == 200


def test_datasources_provisioned(host):
    status, sources = api(host, "/api/datasources")
    assert status == 200
    assert {s["type"] for s in sources} == {"prometheus", "alertmanager"}


def test_profile_dashboards_in_their_folders(host):
    status, found = api(host, "/api/search?type=dash-db")
    assert status == 200
    folders = {d["uid"]: d.get("folderTitle") for d in found}
    assert folders.get("tda-api") == "TDA Platform" and folders.get("tda-kafka") == "Data services"
    assert folders.get("tda-node-system") == "Infrastructure" and len(folders) == 9


def test_queries_of_what_runs_here_return_data(host):
    status, model = api(host, "/api/dashboards/uid/tda-monitoring")
    assert status == 200
    for panel in model["dashboard"]["panels"]:
        for target in panel.get("targets", []):
            if "alertmanager_" in target["expr"] or "prometheus_" in target["expr"] or target["expr"].startswith("sum by (job) (up)"):
                assert wait_for(lambda expr=target["expr"]: query(host, expr), timeout=60), target["expr"]


def test_dashboard_change_is_reloaded_without_restart(host, tmp_path):
    pid = host.run("systemctl show -P MainPID grafana").stdout.strip()
    spec = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "profile", "dashboards", "redis.yml")
    changed = tmp_path / "redis.yml"
    changed.write_text(open(spec).read().replace("title: Redis\n", "title: Redis (changed)\n"))
    rc, out = converge("-e", json.dumps({"grafana_dashboards": [str(changed)]}))
    assert rc == 0, out[-3000:]
    assert wait_for(lambda: api(host, "/api/dashboards/uid/tda-redis")[1]["dashboard"]["title"] == "Redis (changed)")
    # the dashboards not listed any more are gone
    assert api(host, "/api/dashboards/uid/tda-api")[0] == 404
    assert host.run("systemctl show -P MainPID grafana").stdout.strip() == pid, "a reload, not a restart"
    rc, out = converge()
    assert rc == 0, out[-3000:]


def test_new_admin_password_is_applied(host):
    rc, out = converge("-e", "grafana_admin_password=graf-live-rotated-9d")
    assert rc == 0, out[-3000:]
    assert api(host, "/api/user", auth=("admin", "graf-live-rotated-9d"))[0] == 200
    assert api(host, "/api/user")[0] == 401
    rc, out = converge()
    assert rc == 0, out[-3000:]
    time.sleep(1)
    assert api(host, "/api/user")[0] == 200
