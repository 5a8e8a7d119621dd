"""The lab's certificates renewed in place (run by tools/e2e.sh while the journeys wait): every
certificate is re-issued by a deploy whose renewal window (-e certificates_renew_days=400) is past
their 365-day lifetime, as one within its window would be. Then every endpoint serves its new
certificate, verified by the lab's CA for the name Prometheus uses; no daemon restarted (same
MainPID); no scrape failed while it ran. Prints figures; exits 1 on any failure."""
import hashlib
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lab"))
import client  # noqa: E402  pylint: disable=wrong-import-position

UNITS = ("prometheus", "alertmanager", "blackbox_exporter", "pushgateway", "victoriametrics", "postgres_exporter",
         "redis_exporter", "nginx_exporter", "node_exporter", "tls_proxy")


def endpoints():
    """(host, port) of every endpoint Prometheus reaches over TLS, and the Pushgateway's."""
    data = client.get(client.PROMETHEUS + "/api/v1/targets")["data"]["activeTargets"]
    found = {client.split(t["scrapeUrl"])[:2] for t in data if t["scrapeUrl"].startswith("https:")}
    found |= {client.split(a["url"])[:2] for a in client.get(client.PROMETHEUS + "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]}
    found.add(("tda-lab-mon1", 9091))
    return sorted(found)


def served(host, port):
    context = ssl.create_default_context(cafile=str(client.CA))
    with socket.create_connection((client.container_address(host), port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return hashlib.sha256(tls.getpeercert(True)).hexdigest()


def main_pids():
    out = {}
    for container in subprocess.run(["docker", "ps", "--format", "{{.Names}}", "--filter", "label=tda.lab=1"],
                                    check=True, capture_output=True, text=True).stdout.split():
        for unit in UNITS:
            pid = subprocess.run(["docker", "exec", container, "systemctl", "show", "-P", "MainPID", unit],
                                 check=False, capture_output=True, text=True).stdout.strip()
            if pid and pid != "0":
                out[(container, unit)] = pid
    return out


def failed_scrapes(seconds):
    expr = "sum(count_over_time(up[%ds])) - sum(sum_over_time(up[%ds]))" % (seconds, seconds)
    result = client.get(client.PROMETHEUS + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))["data"]["result"]
    return int(float(result[0]["value"][1])) if result else None


def main():
    log = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "artifacts/e2e/site-renewal.log"
    points = endpoints()
    before = {p: served(*p) for p in points}
    pids = main_pids()
    start = time.time()
    with open(log, "w") as out:
        rc = subprocess.run(["ansible-playbook", "-i", "inventories/lab", "site.yml", "-e", "certificates_renew_days=400"],
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    took = time.time() - start
    problems = [] if rc == 0 else ["the renewing deploy failed (see %s)" % log]
    after = {p: served(*p) for p in points}
    kept = [p for p in points if after[p] == before[p]]
    if kept:
        problems.append("still serving the old certificate: %s" % ", ".join("%s:%d" % p for p in kept))
    restarted = sorted("%s %s" % k for k, v in main_pids().items() if pids.get(k) not in (None, v))
    if restarted:
        problems.append("restarted: %s" % ", ".join(restarted))
    time.sleep(6)  # the last scrapes of the window
    failed = failed_scrapes(int(time.time() - start) + 1)
    if failed:
        problems.append("%d scrapes failed while the certificates were renewed" % failed)
    print("   renewal: %d endpoints serve their new certificate after a %.0f s deploy; %d daemons, none restarted; "
          "failed scrapes meanwhile: %s" % (len(points) - len(kept), took, len(pids), failed))
    for problem in problems:
        print("   FAILED: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
