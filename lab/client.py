"""HTTP(S) to the lab as its users do: the lab's CA verifies every server, and requests sign in
with the lab's credentials (inventories/lab, committed on purpose: lab-only values)."""
import base64
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CA = ROOT / ".cache" / "pki" / "lab" / "ca.crt"
VAULT = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/vault.yml").read_text())
PROFILE = yaml.safe_load((ROOT / "playbooks/group_vars/all.yml").read_text())
ADMIN = (PROFILE["tda_web_admin_user"], VAULT["vault_tda_web_admin_password"])
SCRAPE = (PROFILE["tda_scrape_user"], VAULT["vault_tda_scrape_password"])
PROMETHEUS = "https://127.0.0.1:19090"
ALERTMANAGER = "https://127.0.0.1:19093"
# the HA pair's second Prometheus (mon2)
PROMETHEUS_2 = "https://127.0.0.1:19190"


def context(ca=CA):
    return ssl.create_default_context(cafile=str(ca))


def basic(credentials):
    return "Basic " + base64.b64encode(("%s:%s" % credentials).encode()).decode()


def request(method, url, body=None, auth=ADMIN, timeout=10):
    """(status, body) of a request; an HTTP error status is returned, not raised."""
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", basic(auth))
    ctx = context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url, auth=ADMIN):
    status, data = request("GET", url, auth=auth)
    if status != 200:
        raise OSError("GET %s: HTTP %d" % (url, status))
    return json.loads(data)


def container_address(name):
    """A lab container's address on the lab's network (the tests reach containers by address)."""
    return subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name],
                          check=True, capture_output=True, text=True).stdout.strip()


def raw(address, port, path, server_name, tls=True, auth=None, ca=CA, timeout=10):
    """(status, body) of GET path from address:port - over TLS with server_name checked against
    the certificate, or plain - reaching a container by its address."""
    sock = socket.create_connection((address, port), timeout=timeout)
    try:
        if tls:
            sock = context(ca).wrap_socket(sock, server_hostname=server_name)
        lines = ["GET %s HTTP/1.0" % path, "Host: %s:%d" % (server_name, port)]
        if auth:
            lines.append("Authorization: " + basic(auth))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _sep, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    return status, body


def split(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port, (parts.path or "/") + ("?" + parts.query if parts.query else "")
