"""tda.monitoring.reload's Grafana path against a stand-in for Grafana's provisioning reload API.

No Grafana binary can be obtained here; this stub implements only the two endpoints the module
calls (POST /api/admin/provisioning/{dashboards,datasources}/reload, basic auth, the answers
Grafana documents), so what is tested is the module's side: the requests it sends, the
credentials, check mode, and how it reports a refusal. The live Grafana run is
molecule/grafana_live (opt-in)."""
import base64
import http.server
import json
import threading

import pytest

USER, PASSWORD = "admin", "stub-admin-pw"


class StubGrafana(http.server.BaseHTTPRequestHandler):
    calls = []
    fail_kind = None

    def do_POST(self):  # noqa: N802 (http.server's naming)
        expected = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        kind = self.path.split("/")[-2] if self.path.endswith("/reload") else None
        if self.headers.get("Authorization") != expected:
            self._answer(401, {"message": "Unauthorized"})
        elif kind not in ("dashboards", "datasources") or not self.path.startswith("/api/admin/provisioning/"):
            self._answer(404, {"message": "Not found"})
        elif kind == self.fail_kind:
            self._answer(500, {"message": "Failed to reload %s config" % kind})
        else:
            StubGrafana.calls.append(kind)
            self._answer(200, {"message": "%s config reloaded" % kind.capitalize()})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def grafana_stub():
    StubGrafana.calls, StubGrafana.fail_kind = [], None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubGrafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def test_reload_posts_dashboards_and_datasources_with_the_credentials(grafana_stub, module):
    rc, result = module("reload", service="grafana", url=grafana_stub, url_username=USER, url_password=PASSWORD)
    assert rc == 0, result
    assert result["changed"] is True
    assert StubGrafana.calls == ["dashboards", "datasources"]


def test_wrong_password_fails_with_grafanas_answer(grafana_stub, module):
    rc, result = module("reload", service="grafana", url=grafana_stub, url_username=USER, url_password="wrong")
    assert rc != 0
    assert "did not reload its dashboards provisioning" in result["msg"] and "Unauthorized" in result["reason"]
    assert StubGrafana.calls == []


def test_refused_reload_names_what_failed(grafana_stub, module):
    StubGrafana.fail_kind = "datasources"
    rc, result = module("reload", service="grafana", url=grafana_stub, url_username=USER, url_password=PASSWORD)
    assert rc != 0
    assert "datasources provisioning" in result["msg"] and "Failed to reload datasources config" in result["reason"]


def test_check_mode_sends_nothing(grafana_stub, module):
    rc, result = module("reload", service="grafana", url=grafana_stub, url_username=USER, url_password=PASSWORD,
                        _ansible_check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert StubGrafana.calls == []


def test_signal_method_is_refused_for_grafana(module):
    rc, result = module("reload", service="grafana", method="signal", url_password=PASSWORD)
    assert rc != 0 and "only through its HTTP API" in result["msg"]
