"""Shared fixtures: run our modules for real, and real promtool/amtool/Prometheus/Alertmanager.

The binaries are Debian's (tools/host-tools.sh puts them in .cache/host-tools/bin); nothing
here mocks their output.
"""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".cache" / "host-tools" / "bin"
COLLECTIONS = ROOT / "collections"
# the collection's Python packages (ansible_collections.tda.monitoring...) for direct imports
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


def tool(name):
    path = TOOLS / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.skip("%s is not available: run tools/host-tools.sh" % name)
    return found


@pytest.fixture(scope="session")
def promtool():
    return tool("promtool")


@pytest.fixture(scope="session")
def promtools():
    """{version: promtool} of the Prometheus releases we test here: Debian 12's 2.42.0, and 3.5.3 from the
    release mirror (tools/host-tools.sh)."""
    return {"2.42.0": tool("promtool"), "3.5.3": tool("promtool-3.5.3")}


@pytest.fixture(scope="session")
def prometheuses():
    """{version: prometheus} of the same releases (tools/host-tools.sh)."""
    return {"2.42.0": tool("prometheus"), "3.5.3": tool("prometheus-3.5.3")}


@pytest.fixture(scope="session")
def amtool():
    return tool("amtool")


@pytest.fixture(scope="session")
def amtools():
    """{version: amtool} of every Alertmanager we test: Debian 12's 0.25.0, and 0.28.1 and 0.33.1
    from the release mirror (tools/host-tools.sh)."""
    found = {"0.25.0": tool("amtool")}
    for version in ("0.28.1", "0.33.1"):
        found[version] = tool("amtool-" + version)
    return found


def run_module(name, path_prefix=None, **args):
    """Run plugins/modules/NAME.py as Ansible runs it (JSON args file); return (rc, result).
    path_prefix puts a directory first on the module's PATH."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    if path_prefix:
        env["PATH"] = path_prefix + os.pathsep + env["PATH"]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.tda.monitoring.plugins.modules.%s" % name, handle.name],
            capture_output=True, text=True, env=env, timeout=120, check=False)
    finally:
        os.unlink(handle.name)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("module %s printed no JSON: %s %s" % (name, proc.stdout, proc.stderr))
    return proc.returncode, result


@pytest.fixture
def module():
    return run_module


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("%s did not answer within %ss" % (url, timeout))


class Daemon(object):
    """A real daemon on 127.0.0.1, in a temporary directory, stopped at the end of the test."""

    def __init__(self, argv, url, workdir):
        self.url = url
        self.workdir = workdir
        self.log = open(os.path.join(workdir, "daemon.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir)
        wait_http(url + "/-/ready")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def prometheus(tmp_path):
    binary = tool("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % port)
    daemon = Daemon([binary, "--config.file=%s" % config, "--storage.tsdb.path=%s" % (tmp_path / "data"),
                     "--web.listen-address=127.0.0.1:%d" % port, "--web.enable-lifecycle"],
                    "http://127.0.0.1:%d" % port, str(tmp_path))
    daemon.config = config
    yield daemon
    daemon.stop()


@pytest.fixture
def alertmanager(tmp_path):
    binary = tool("alertmanager")
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: default\n"
        "receivers:\n  - name: default\n")
    daemon = Daemon([binary, "--config.file=%s" % config, "--storage.path=%s" % (tmp_path / "am-data"),
                     "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address="],
                    "http://127.0.0.1:%d" % port, str(tmp_path))
    daemon.config = config
    yield daemon
    daemon.stop()


@pytest.fixture
def blackbox(tmp_path):
    binary = tool("blackbox_exporter")
    port = free_port()
    config = tmp_path / "blackbox.yml"
    config.write_text("modules:\n  http_2xx:\n    prober: http\n")
    daemon = Daemon([binary, "--config.file=%s" % config, "--web.listen-address=127.0.0.1:%d" % port],
                    "http://127.0.0.1:%d" % port, str(tmp_path))
    daemon.config = config
    yield daemon
    daemon.stop()


# systemctl and journalctl stand-ins that record their calls (service_ready, file_set's service check)
STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "%(log)s"
case "$1" in
  is-enabled) cat "%(state)s/enabled" ;;
  is-active) cat "%(state)s/active" ;;
  show) cat "%(state)s/substate" 2>/dev/null ;;
  -u) echo "level=error msg=\\"listen tcp: address already in use\\"" ;;
esac
"""


@pytest.fixture
def systemd(tmp_path):
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    log = tmp_path / "calls.log"
    log.write_text("")
    for name in ("systemctl", "journalctl"):
        (bin_dir / name).write_text(STUB % {"log": log, "state": state})
        os.chmod(str(bin_dir / name), 0o755)

    def set_state(enabled, active):
        (state / "enabled").write_text(enabled + "\n")
        (state / "active").write_text(active + "\n")
    return str(bin_dir), set_state, log


@pytest.fixture
def health():
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # /secure/-/ready wants admin:s3cret, as a daemon behind basic auth does
            if self.path == "/secure/-/ready":
                authorized = self.headers.get("Authorization") == "Basic YWRtaW46czNjcmV0"
                self.send_response(200 if authorized else 401)
            else:
                self.send_response(200 if self.path == "/-/ready" else 503)
            self.end_headers()
            self.wfile.write(b"ready\n")

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
