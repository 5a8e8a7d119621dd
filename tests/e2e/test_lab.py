"""End to end in the lab (`make lab`): every target up, every rule of the profile loaded and
healthy; the API's rules against the label sets of the real FastAPI middleware, every Flink name
the profile reads against the real Flink reporter. Then four faults at once (each healed once all
its receivers were notified) - the API on api1 stopped (TDAAPIDown), every request of api2 raising
an exception (TDAAPIHighErrorRate), PostgreSQL stopped (PostgreSQLDown), the Flink job cancelled
(FlinkJobDown) - and each alert's notifications reach its intended stand-in receivers in the sink
and no others, within its `for:` + group_wait + two scrape intervals of becoming pending, once
through the three-member Alertmanager cluster, but for Alertmanager's bounded straddle
(alertmanager#2447: a member whose flush began before the resolution reached it repeats the firing
state within the cluster's hold after another's resolved notification, then resolves it too -
counted and printed, any other repeat fails); after recovery the resolved notification reaches
every receiver configured to send one. The faults are induced with mon1's Prometheus stopped: the
HA pair's other member alone raises them, and the long-term store has no gap meanwhile. A second
round: a Flink job in a restart loop (FlinkHighRestartRate), then the JobManager stopped
(FlinkJobDown beside TargetDown).

Run by tools/e2e.sh, which creates the lab, runs this and removes the lab."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lab"))
import client  # noqa: E402  pylint: disable=wrong-import-position

PROMETHEUS = client.PROMETHEUS
# the member of the HA pair left running while mon1's is stopped for the faults
SURVIVOR = client.PROMETHEUS_2
SINK = "http://127.0.0.1:19099"
API = {"api1": "http://127.0.0.1:19801", "api2": "http://127.0.0.1:19802"}
LAB = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/main.yml").read_text())
VAULT = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/vault.yml").read_text())
LAB_HOSTS = {name: sorted((group.get("hosts") or {}))
             for name, group in yaml.safe_load((ROOT / "inventories/lab/hosts.yml").read_text())["all"]["children"].items()}
FLINK_HOSTS = LAB_HOSTS["flink_jobmanager"] + LAB_HOSTS["flink_taskmanager"]
SCRAPE = int(LAB["tda_scrape_interval"].rstrip("s"))
GROUP_WAIT = int(LAB["tda_alert_group_wait"].rstrip("s"))

# the stand-in receivers: how each receiver of the profile shows up in the sink
RECEIVER_OF_PATH = {
    "/pagerduty": "pagerduty",
    "/slack/dev/" + VAULT["vault_tda_slack_dev_webhook_url"].rsplit("/", 1)[1]: "dev-team (slack)",
    "/slack/ops/" + VAULT["vault_tda_slack_ops_webhook_url"].rsplit("/", 1)[1]: "ops-team (slack)",
    "/watchdog/" + VAULT["vault_tda_watchdog_url"].rsplit("/", 1)[1]: "watchdog",
}
# what the profile routes each induced alert to (playbooks/group_vars/alertmanager.yml), and
# which of those integrations send resolved notifications (PagerDuty by default; the e-mail of
# dev-team and the Slack of ops-team by send_resolved: true)
FAULTS = {
    "TDAAPIDown": {"for": 60, "receivers": {"pagerduty", "dev-team (slack)", "dev-team (email)"},
                   "resolved": {"pagerduty", "dev-team (email)"}},
    "TDAAPIHighErrorRate": {"for": 120, "receivers": {"pagerduty", "dev-team (slack)", "dev-team (email)"},
                            "resolved": {"pagerduty", "dev-team (email)"}},
    "PostgreSQLDown": {"for": 60, "receivers": {"pagerduty", "ops-team (slack)"},
                       "resolved": {"pagerduty", "ops-team (slack)"}},
    # the lab's streaming job cancelled
    "FlinkJobDown": {"for": 120, "receivers": {"pagerduty", "ops-team (slack)"},
                     "resolved": {"pagerduty", "ops-team (slack)"}},
}
# the second round's, after the first (tests at the end): a restart loop, then the JobManager stopped
FLINK_FAULTS = {
    "FlinkHighRestartRate": {"for": 120, "receivers": {"ops-team (slack)", "business-hours"},
                             "resolved": {"ops-team (slack)"}},
    "FlinkJobDown": {"for": 120, "receivers": {"pagerduty", "ops-team (slack)"},
                     "resolved": {"pagerduty", "ops-team (slack)"}},
}
ALERTNAMES = set(FAULTS) | set(FLINK_FAULTS)


def get(url):
    return client.get(url)


def request(method, url, body=None):
    return client.request(method, url, body)[0]


def docker(*args):
    return subprocess.run(["docker", "exec"] + list(args), check=True, capture_output=True, text=True).stdout


def wait_for(check, timeout, interval=2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    return check()


def alertmanager_flags(host):
    return subprocess.run(["docker", "exec", "tda-lab-" + host, "systemctl", "show", "-P", "ExecStart", "alertmanager"],
                          check=True, capture_output=True, text=True).stdout


def cluster_hold():
    """How long the cluster's last member waits before it looks in the notification log for what
    the first one sent: its position times the running peer timeout (15 s when no flag sets it)."""
    flag = re.search(r"--cluster\.peer-timeout=(\d+)s\b", alertmanager_flags(LAB_HOSTS["alertmanager"][0]))
    return (len(LAB_HOSTS["alertmanager"]) - 1) * (int(flag.group(1)) if flag else 15) + 5


def running_group_interval():
    """The root route's group_interval of the running Alertmanager on mon1, in seconds."""
    status = json.loads(client.raw(client.container_address("tda-lab-mon1"), 9093, "/api/v2/status", "tda-lab-mon1",
                                   auth=client.ADMIN)[1].decode())
    interval = yaml.safe_load(status["config"]["original"])["route"].get("group_interval", "5m")
    return int(interval[:-1]) * {"s": 1, "m": 60}[interval[-1]]


def notifications():
    """(alertname, receiver, status, time) of every notification the sink recorded."""
    out = []
    for record in get(SINK + "/records"):
        if record["kind"] == "smtp":
            subject = [line for line in record["data"].splitlines() if line.lower().startswith("subject:")]
            for name in ALERTNAMES:
                if any(name in line for line in subject):
                    status = "resolved" if any("[RESOLVED]" in line for line in subject) else "firing"
                    out.append((name, "dev-team (email)" if "dev-team" in ",".join(record["rcpt_to"]) else "email",
                                status, record["time"]))
            continue
        if record["kind"] != "http":
            continue
        body, path = record["body"], record["path"]
        receiver = RECEIVER_OF_PATH.get(path)
        if receiver is None and path.startswith("/slack/alerts/"):
            receiver = "business-hours" if body.get("channel") == "#alerts-business-hours" else "default"
        if receiver == "pagerduty":
            status = "resolved" if body.get("event_action") == "resolve" else "firing"
            for alertname in ALERTNAMES:
                if alertname in json.dumps(body):
                    out.append((alertname, receiver, status, record["time"]))
            continue
        text = json.dumps(body)
        # Slack: the profile's slack.color template says "good" once the group has recovered
        colors = {a.get("color") for a in body.get("attachments", [])} if isinstance(body, dict) else set()
        for alertname in ALERTNAMES:
            if alertname in text:
                status = "resolved" if colors == {"good"} else "firing"
                out.append((alertname, receiver or path, status, record["time"]))
    return out


def straddles(notes, alertname, receiver, hold):
    """Alertmanager's known straddle (alertmanager#2447): a member whose flush took its snapshot
    just before the resolution reached it sends the firing state once more after its peer wait -
    within the cluster's hold after another member's resolved notification - and then its own
    resolved (where the receiver sends those). Returns (straddling repeats, other repeats) of the
    firing notifications after the first."""
    firing = sorted(n[3] for n in notes if n[0] == alertname and n[1] == receiver and n[2] == "firing")
    resolved_here = sorted(n[3] for n in notes if n[0] == alertname and n[1] == receiver and n[2] == "resolved")
    # a receiver that sends no resolved notifications: the cluster's resolution at the others
    since = resolved_here or sorted(n[3] for n in notes if n[0] == alertname and n[2] == "resolved")
    bounded, other = [], []
    for repeat in firing[1:]:
        before = [t for t in since if t <= repeat]
        if before and repeat - before[-1] <= hold and (not resolved_here or any(t > repeat for t in resolved_here)):
            bounded.append(repeat)
        else:
            other.append(repeat)
    return bounded, other


def answers(url):
    """Whether url answers 200 (a daemon that is starting refuses the connection meanwhile)."""
    try:
        return client.request("GET", url)[0] == 200
    except (OSError, client.urllib.error.URLError):
        return False


def active_at(alertname):
    for alert in get(SURVIVOR + "/api/v1/alerts")["data"]["alerts"]:
        if alert["labels"]["alertname"] == alertname:
            return alert
    return None


@pytest.mark.parametrize("prometheus", [PROMETHEUS, SURVIVOR], ids=["mon1", "mon2"])
def test_every_target_up_and_every_rule_loaded_and_healthy(prometheus):
    """Both members of the HA pair scrape every target and evaluate every rule."""
    def all_up():
        targets = get(prometheus + "/api/v1/targets")["data"]["activeTargets"]
        return targets and all(t["health"] == "up" for t in targets) and targets
    targets = wait_for(all_up, timeout=120)
    assert targets, [(t["scrapeUrl"], t.get("lastError")) for t in get(prometheus + "/api/v1/targets")["data"]["activeTargets"] if t["health"] != "up"]
    jobs = {t["labels"]["job"] for t in targets}
    assert {"prometheus", "tda-api", "postgres", "redis", "nginx", "node", "blackbox"} <= jobs, jobs
    scraped = {t["labels"]["instance"] for t in targets if t["labels"]["job"] == "prometheus"}
    assert {"tda-lab-%s:9090" % host for host in LAB_HOSTS["prometheus"]} <= scraped, scraped
    rules = [r for g in get(prometheus + "/api/v1/rules")["data"]["groups"] for r in g["rules"]]
    profile = [r for f in ("alert-rules.yml", "recording-rules.yml", "meta-rules.yml")
               for g in yaml.safe_load((ROOT / "profile/rules" / f).read_text())["groups"] for r in g["rules"]]
    loaded = {(r.get("name")) for r in rules}
    assert {r.get("alert") or r.get("record") for r in profile} <= loaded
    assert all(r["health"] == "ok" for r in rules), [r["name"] for r in rules if r["health"] != "ok"]
    alertmanagers = {a["url"] for a in get(prometheus + "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]}
    assert len(alertmanagers) == len(LAB_HOSTS["alertmanager"]), alertmanagers
    print("\n%s: %d targets up (%s); %d rules loaded and healthy; sends to %d Alertmanagers"
          % (prometheus, len(targets), ", ".join(sorted(jobs)), len(rules), len(alertmanagers)))


def test_the_alertmanager_cluster_has_every_member_over_tls():
    """Each member sees the whole cluster (gossip over TLS: the profile's cluster TLS)."""
    members = LAB_HOSTS["alertmanager"]
    assert len(members) == 3
    for host in members:
        container = "tda-lab-" + host

        def status(container=container):
            code, body = client.raw(client.container_address(container), 9093, "/api/v2/status", container, auth=client.ADMIN)
            cluster = json.loads(body.decode())["cluster"] if code == 200 else {}
            return cluster if cluster.get("status") == "ready" and len(cluster.get("peers") or []) == len(members) else None
        cluster = wait_for(status, timeout=60)
        assert cluster, "%s does not see %d ready peers" % (container, len(members))
    flags = alertmanager_flags(members[0])
    assert "--cluster.tls-config=" in flags, flags
    print("\n%d Alertmanagers, each seeing %d ready peers, gossiping over TLS" % (len(members), len(members)))


# the jobs whose endpoints have no TLS and basic auth (the README says why: the lab's stand-in app), and the one endpoint
# that serves its metrics without credentials (VictoriaMetrics 1.79: its query API wants them)
OPEN_JOBS = {"tda-api", "flink"}
METRICS_WITHOUT_CREDENTIALS = {"victoriametrics"}


LISTENING = r"""
import socket, struct, sys
port = int(sys.argv[1])
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    local, state = line.split()[1], line.split()[3]
    address, hex_port = local.split(":")
    if state == "0A" and int(hex_port, 16) == port:
        print(socket.inet_ntoa(struct.pack("<I", int(address, 16))))
"""


def listening_on(container, port):
    """The IPv4 addresses a container listens on at port (from its /proc/net/tcp)."""
    return set(subprocess.run(["docker", "exec", container, "python3", "-c", LISTENING, str(port)],
                              check=True, capture_output=True, text=True).stdout.split())


def test_every_endpoint_wants_tls_and_credentials(tmp_path):
    """Every endpoint Prometheus scrapes over https, every Alertmanager it sends to and Prometheus
    itself, asked the way a client on the network would: 401 without credentials, 200 with them,
    no 2xx and no metrics over plain http, and a client that trusts another CA is refused."""
    import ssl  # pylint: disable=import-outside-toplevel
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.tda.monitoring.plugins.plugin_utils import pki  # pylint: disable=import-outside-toplevel
    other = pki.InternalCA(str(tmp_path / "none"), "another CA", write=False)
    other.load()
    (tmp_path / "other-ca.crt").write_text(other.cert_pem)
    targets = get(PROMETHEUS + "/api/v1/targets")["data"]["activeTargets"]
    endpoints = {(t["labels"]["job"], t["scrapeUrl"]) for t in targets if t["scrapeUrl"].startswith("https:")}
    endpoints |= {("alertmanager", a["url"]) for a in get(PROMETHEUS + "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]}
    # the Pushgateway: batch jobs push to it; the profile has no job scraping it (the seed's has none)
    endpoints |= {("pushgateway", "https://tda-lab-%s:9091/metrics" % host) for host in LAB_HOSTS["pushgateway"]}
    open_jobs = {t["labels"]["job"] for t in targets if not t["scrapeUrl"].startswith("https:")}
    assert open_jobs <= OPEN_JOBS, "scraped over plain http: %s" % sorted(open_jobs - OPEN_JOBS)
    assert {"prometheus", "node", "postgres", "redis", "nginx", "blackbox", "victoriametrics", "alertmanager",
            "pushgateway"} <= {job for job, _url in endpoints}
    checked = []
    for job, url in sorted(endpoints):
        host, port, path = client.split(url)
        address = client.container_address(host)
        assert listening_on(host, port) == {address}, "%s listens on %s, not on %s alone" % (
            url, listening_on(host, port), address)
        protected = "/api/v1/query?query=up" if job in METRICS_WITHOUT_CREDENTIALS else path
        status = client.raw(address, port, protected, host)[0]
        assert status == 401, "%s %s answered %d without credentials" % (job, url, status)
        status, body = client.raw(address, port, path, host, auth=client.SCRAPE)
        assert status == 200, "%s %s answered %d with the scrape user's credentials" % (job, url, status)
        status, body = client.raw(address, port, path, host, tls=False, auth=client.SCRAPE)
        assert not 200 <= status < 300 and b"# TYPE" not in body, "%s %s: plain http got %d" % (job, url, status)
        with pytest.raises(ssl.SSLCertVerificationError):
            client.raw(address, port, path, host, auth=client.SCRAPE, ca=tmp_path / "other-ca.crt")
        if "%s %s:%d" % (job, host, port) not in checked:
            checked.append("%s %s:%d" % (job, host, port))
    print("\n%d endpoints, each listening on its host's address only: 401 without credentials, 200 with, no 2xx over http, another CA refused: %s; "
          "open (README): %s" % (len(checked), ", ".join(checked), ", ".join(sorted(open_jobs))))


FLINK_REST = "http://127.0.0.1:19881"
FLINK_JM = "tda-lab-" + LAB_HOSTS["flink_jobmanager"][0]


def flink_jobs(name):
    """The lab cluster's jobs of that name that have not ended."""
    try:
        jobs = json.loads(urllib.request.urlopen(FLINK_REST + "/jobs/overview", timeout=5).read())["jobs"]
    except OSError:
        return []
    return [job for job in jobs if job["name"] == name and job["state"] not in ("CANCELED", "FAILED", "FINISHED")]


def flink_submit(kind):
    """The lab's job (lab/flink/TdaLabJob.java), submitted detached by the lab's Flink helper."""
    docker(FLINK_JM, "/usr/local/bin/tda-lab-flink", "submit", kind)


def flink_cancel(name):
    for job in flink_jobs(name):
        urllib.request.urlopen(urllib.request.Request(FLINK_REST + "/jobs/%s?mode=cancel" % job["jid"], method="PATCH"),
                               timeout=10).read()
    assert wait_for(lambda: not flink_jobs(name), timeout=30), "%s still runs" % name


def flink_heal_datagen():
    if not flink_jobs("tda-lab-datagen"):
        flink_submit("datagen")


INDUCE = {
    "TDAAPIDown": lambda: docker("tda-lab-api1", "systemctl", "stop", "tda-api"),
    "TDAAPIHighErrorRate": lambda: request("POST", API["api2"] + "/admin/faults", {"exception_ratio": 1.0}),
    "PostgreSQLDown": lambda: docker("tda-lab-pg1", "systemctl", "stop", "postgresql"),
    "FlinkJobDown": lambda: flink_cancel("tda-lab-datagen"),
}
HEAL = {
    "TDAAPIDown": lambda: docker("tda-lab-api1", "systemctl", "start", "tda-api"),
    "TDAAPIHighErrorRate": lambda: request("POST", API["api2"] + "/admin/faults", {}),
    "PostgreSQLDown": lambda: docker("tda-lab-pg1", "systemctl", "start", "postgresql"),
    "FlinkJobDown": flink_heal_datagen,
}


def none_active():
    """None of the induced alerts is pending or firing in Prometheus or held by Alertmanager
    (an earlier run's alert would already be notified, and not again)."""
    in_prometheus = {a["labels"]["alertname"] for prometheus in (PROMETHEUS, SURVIVOR)
                     for a in get(prometheus + "/api/v1/alerts")["data"]["alerts"]}
    in_alertmanager = {a["labels"]["alertname"] for a in get(client.ALERTMANAGER + "/api/v2/alerts")}
    return not (ALERTNAMES & (in_prometheus | in_alertmanager))


@pytest.fixture(scope="module")
def faults_induced():
    assert wait_for(none_active, timeout=420, interval=5), "induced alerts still active from an earlier run"
    request("DELETE", SINK + "/records")
    pending, healed = {}, {}
    # one member of the HA pair is down for the whole firing half: the other alone must raise every alert
    hold = cluster_hold()
    docker("tda-lab-mon1", "systemctl", "stop", "prometheus")
    stopped = time.time()
    for name in FAULTS:
        INDUCE[name]()
    try:
        # each fault is healed once all its receivers have been notified and the cluster's last
        # member has checked the notification log (an alert resolved sooner is one the others may
        # still send: Alertmanager's own HA design)
        notified = {}

        def all_notified():
            seen = {(n[0], n[1]) for n in notifications() if n[2] == "firing"}
            for name, fault in FAULTS.items():
                alert = active_at(name)
                if alert and name not in pending:
                    pending[name] = alert["activeAt"]
                if name not in notified and all((name, r) in seen for r in fault["receivers"]):
                    notified[name] = time.time()
                if name not in healed and name in notified and time.time() >= notified[name] + hold:
                    HEAL[name]()
                    healed[name] = time.time()
            return len(healed) == len(FAULTS)
        wait_for(all_notified, timeout=300 + hold, interval=2)
    finally:
        for name in FAULTS:
            if name not in healed:
                HEAL[name]()
                healed[name] = time.time()
        started = time.time()
        docker("tda-lab-mon1", "systemctl", "start", "prometheus")
        wait_for(lambda: answers(PROMETHEUS + "/-/ready"), timeout=60)
        # tools/e2e.sh holds its deploy checks until here: their load would skew the timed path
        if os.environ.get("TDA_E2E_HEALED_MARK"):
            Path(os.environ["TDA_E2E_HEALED_MARK"]).write_text("healed\n")

    def all_resolved():
        seen = {(n[0], n[1]) for n in notifications() if n[2] == "resolved"}
        return all((name, r) in seen for name, fault in FAULTS.items() for r in fault["resolved"])
    wait_for(all_resolved, timeout=360, interval=3)
    # a member that repeats an alert state another has superseded does so within its wait and the
    # next group interval: what arrives until then is counted by the tests below
    time.sleep(hold + running_group_interval())
    return {"pending": pending, "healed": healed, "all": notifications(), "stopped": stopped, "started": started,
            "hold": hold}


def check_notified_once_in_time(round_result, alertname, fault):
    """Its receivers and no others, each within for + group_wait + two scrape intervals of the
    alert becoming pending, once - three Alertmanagers received it from two Prometheus, and the
    cluster's notification log lets one send - but for Alertmanager's bounded straddle. Returns
    the first notification's time at each receiver."""
    firing = [n for n in round_result["all"] if n[0] == alertname and n[2] == "firing"]
    assert {n[1] for n in firing} == fault["receivers"], "reached %s" % sorted({n[1] for n in firing})
    active = round_result["pending"].get(alertname)
    assert active, "%s never became pending in Prometheus" % alertname
    became_pending = time.mktime(time.strptime(active.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S")) - time.timezone
    bound = fault["for"] + GROUP_WAIT + 2 * SCRAPE
    first = {}
    for receiver in fault["receivers"]:
        first[receiver] = min(n[3] for n in firing if n[1] == receiver)
        took = first[receiver] - became_pending
        print("\n%s -> %s: %.1f s after it became pending (bound: for %ds + group_wait %ds + 2 x %ds = %ds)"
              % (alertname, receiver, took, fault["for"], GROUP_WAIT, SCRAPE, bound))
        assert took <= bound, "%s reached %s %.1f s after pending, over %d s" % (alertname, receiver, took, bound)
        bounded, other = straddles(round_result["all"], alertname, receiver, round_result["hold"])
        assert not other, "%s reached %s again at %s s after it was healed" % (
            alertname, receiver, ", ".join("%.1f" % (t - round_result["healed"][alertname]) for t in other))
        if bounded:
            print("   %s -> %s: %d straddle(s) of the cluster (alertmanager#2447), each resolved again" % (
                alertname, receiver, len(bounded)))
    return first


def check_resolved_once(round_result, alertname, fault):
    """The resolved notification at every receiver that sends one, once (and once more after each
    straddle), none before the fault was healed."""
    resolved = [n for n in round_result["all"] if n[0] == alertname and n[2] == "resolved"]
    assert {n[1] for n in resolved} == fault["resolved"]
    for receiver in fault["resolved"]:
        count = len([n for n in resolved if n[1] == receiver])
        bounded, _other = straddles(round_result["all"], alertname, receiver, round_result["hold"])
        assert count == 1 + len(bounded), "%s: %d resolved notifications to %s (%d straddles)" % (
            alertname, count, receiver, len(bounded))
    for notification in resolved:
        took = notification[3] - round_result["healed"][alertname]
        print("\n%s resolved -> %s: %.1f s after recovery" % (alertname, notification[1], took))
        assert notification[3] >= round_result["healed"][alertname] - SCRAPE


@pytest.mark.parametrize("alertname", sorted(FAULTS))
def test_induced_alert_reaches_its_receivers_and_no_others_in_time(faults_induced, alertname):
    first = check_notified_once_in_time(faults_induced, alertname, FAULTS[alertname])
    for at in first.values():
        assert faults_induced["stopped"] < at < faults_induced["started"], "not notified while mon1 was stopped"


@pytest.mark.parametrize("alertname", sorted(FAULTS))
def test_resolved_follows_recovery_at_every_receiver_that_sends_it(faults_induced, alertname):
    check_resolved_once(faults_induced, alertname, FAULTS[alertname])


def test_email_went_over_starttls_signed_in(faults_induced):
    """The lab's sink speaks STARTTLS with a certificate of the lab's CA, as production's provider
    does: every e-mail Alertmanager sent came over TLS, after AUTH, and no login failed."""
    assert faults_induced["healed"]
    records = get(SINK + "/records")
    mails = [r for r in records if r["kind"] == "smtp"]
    assert mails, "no e-mail reached the sink"
    assert all(r["tls"] and r["auth_user"] == LAB["tda_smtp_auth_username"] for r in mails), \
        [(r["tls"], r["auth_user"]) for r in mails]
    assert not [r for r in records if r["kind"] == "smtp-auth-failed"]
    print("\n%d e-mails, each over STARTTLS and signed in as %s" % (len(mails), LAB["tda_smtp_auth_username"]))


def test_dashboard_queries_of_what_runs_in_the_lab_return_data(faults_induced):
    """Every panel query of the profile's dashboards that reads only what the lab runs (the demo
    API, PostgreSQL, Redis, nginx, node_exporter, blackbox, Prometheus, and the profile's
    recording rules) returns data from the lab's Prometheus - mon2, which saw the faults (mon1 was
    stopped meanwhile), so the error series exist too."""
    import sys  # pylint: disable=import-outside-toplevel
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.tda.monitoring.plugins.filter.grafana_dashboard import dashboard_queries  # noqa: E501  pylint: disable=import-outside-toplevel
    from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint  # pylint: disable=import-outside-toplevel
    assert faults_induced["healed"]
    catalogue = yaml.safe_load((ROOT / "profile/dashboards/metrics.yml").read_text())["sources"]
    in_lab = {name for source in ("tda_api", "flink", "prometheus", "node_exporter", "postgres_exporter", "redis_exporter",
                                  "nginx_exporter", "blackbox_exporter") for name in catalogue[source]["names"]}
    groups = yaml.safe_load((ROOT / "profile/rules/recording-rules.yml").read_text())["groups"]
    recorded = {rule["record"] for group in groups for rule in group["rules"] if not rule["record"].startswith("kafka")}
    checked, skipped = [], []
    for path in sorted((ROOT / "profile/dashboards").glob("*.yml")):
        if path.name == "metrics.yml":
            continue
        for item in dashboard_queries(yaml.safe_load(path.read_text())):
            _found, ast = promlint.lint_expression(item["expr"])
            names = {node.name for node, _parents in promlint._walk(ast)  # pylint: disable=protected-access
                     if type(node).__name__ in ("VectorSelector", "MatrixSelector") and getattr(node, "name", None)}
            if names and names <= (in_lab | recorded):
                data = wait_for(lambda expr=item["expr"]: get(SURVIVOR + "/api/v1/query?" + urllib.parse.urlencode(
                    {"query": expr}))["data"]["result"], timeout=60)
                assert data, "%s: no data from the lab's Prometheus for %s" % (item["where"], item["expr"])
                checked.append(item["where"])
            else:
                skipped.append(item["where"])
    print("\n%d dashboard queries return data in the lab; %d read what the lab does not run (Kafka, "
          "cAdvisor, Alertmanager's own metrics): %s" % (len(checked), len(skipped), ", ".join(sorted(set(skipped)))))
    assert len(checked) >= 50


def exposition_labels(text):
    """{sample name: {label: {values}}} of a Prometheus text exposition."""
    served = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, labels = line[:line.index("{")], line[line.index("{") + 1:line.rindex("}")]
        else:
            name, labels = line.split(" ", 1)[0], ""
        entry = served.setdefault(name, {})
        for label, value in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels):
            entry.setdefault(label, set()).add(value)
    return served


def matcher_holds(op, pattern, values):
    """Whether an equality or regex matcher selects one of the values (negative matchers always may)."""
    if op.endswith("Equal") and not op.endswith("NotEqual"):
        return pattern in values
    if op.endswith("Re") and not op.endswith("NotRe"):
        return any(re.fullmatch(pattern, value) for value in values)
    return True


def test_the_api_rules_read_label_sets_the_real_middleware_produces(faults_induced):
    """Every rule of the profile that reads the TDA API's own metrics - recorded or alerting - names
    only labels the FastAPI app's metrics module and MetricsMiddleware produce (or the scrape adds);
    each of its matchers selects a value the app produced during the faults (status 500 included,
    counted from raised exceptions), and each recording rule returns data on the lab's Prometheus."""
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint  # pylint: disable=import-outside-toplevel
    assert faults_induced["healed"]
    served = exposition_labels(urllib.request.urlopen(API["api2"] + "/metrics", timeout=10).read().decode())
    assert served.get("tda_api_requests_total", {}).get("status", set()) >= {"200", "500"}, served.get("tda_api_requests_total")
    scraped = wait_for(lambda: get(SURVIVOR + "/api/v1/query?query=" + urllib.parse.quote('up{job="tda-api"}'))["data"]["result"], 30)
    target_labels = set(scraped[0]["metric"]) - {"__name__"}
    checked = []
    for where, expr, record in profile_expressions(dashboards=False):
        selectors, grouping = promlint.expression_references(expr)
        own = [(name, matchers) for name, matchers in selectors if name in served]
        if not own:
            continue
        produced = set().union(*(served[name] for name, _matchers in own))
        for name, matchers in own:
            for label, op, pattern in matchers:
                assert label in served[name] or label in target_labels, \
                    "%s selects %s{%s} - a label neither the app nor the scrape gives" % (where, name, label)
                if label in served[name]:
                    assert matcher_holds(op, pattern, served[name][label]), \
                        "%s: %s{%s %s %r} selects none of the app's values %s" % (
                            where, name, label, op, pattern, sorted(served[name][label]))
        missing = grouping - produced - target_labels - {"le"}
        assert not missing, "%s groups by %s, which the app's series do not have" % (where, sorted(missing))
        if record:
            assert wait_for(lambda record=record: get(SURVIVOR + "/api/v1/query?query=" + urllib.parse.quote(record))[
                "data"]["result"], timeout=60), "%s: no data on the lab's Prometheus" % where
        checked.append(where)
    print("\n%d rules read the API's metrics and agree with the real middleware: %s" % (len(checked), ", ".join(checked)))
    assert len(checked) >= 8


def profile_expressions(dashboards=True):
    """(where, expression, recorded name or None) of every recording and alerting rule of the
    profile and, with dashboards, of every dashboard query."""
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.tda.monitoring.plugins.filter.grafana_dashboard import dashboard_queries  # noqa: E501  pylint: disable=import-outside-toplevel
    found = []
    for path in ("profile/rules/recording-rules.yml", "profile/rules/alert-rules.yml"):
        for group in yaml.safe_load((ROOT / path).read_text())["groups"]:
            found += [("%s: %s" % (path, rule.get("record") or rule.get("alert")), rule["expr"], rule.get("record"))
                      for rule in group["rules"]]
    for path in sorted((ROOT / "profile/dashboards").glob("*.yml")) if dashboards else []:
        if path.name != "metrics.yml":
            found += [(item["where"], item["expr"], None) for item in dashboard_queries(yaml.safe_load(path.read_text()))]
    return found


def flink_reporter_names():
    """Sample names Flink's reporters serve in the lab: the JobManager's and the TaskManager's."""
    names = set()
    for host in FLINK_HOSTS:
        names |= set(exposition_labels(docker("tda-lab-" + host, "curl", "-sf", "http://127.0.0.1:9249/metrics")))
    return names


def test_every_flink_name_the_profile_reads_is_served_by_the_real_reporter():
    """Every flink_* name of every alert, recording rule and dashboard query, taken from the
    expressions with the pinned promql-parser, is served by the lab's Flink 2.3.0 (its JobManager
    and TaskManager, with the checkpointed datagen job running); and Prometheus scrapes both."""
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint  # pylint: disable=import-outside-toplevel

    def both_up():
        result = get(SURVIVOR + "/api/v1/query?query=" + urllib.parse.quote('up{job="flink"} == 1'))["data"]["result"]
        return result if len(result) == len(FLINK_HOSTS) else []
    assert wait_for(both_up, timeout=60), "Prometheus does not scrape every Flink process"
    # the job's checkpoint and latency series appear once it has run a little

    def with_the_jobs_series():
        names = flink_reporter_names()
        return names if {"flink_jobmanager_job_lastCheckpointDuration",
                         "flink_taskmanager_job_task_numRecordsInPerSecond"} <= names else set()
    served = wait_for(with_the_jobs_series, timeout=90, interval=5)
    read, missing = set(), []
    for where, expr, _record in profile_expressions():
        selectors, _grouping = promlint.expression_references(expr)
        for name in {name for name, _matchers in selectors if name.startswith("flink_")}:
            read.add(name)
            if name not in served:
                missing.append("%s reads %s" % (where, name))
    assert not missing, "not served by Flink 2.3.0's reporter: %s" % "; ".join(sorted(missing))
    print("\n%d flink names the profile reads, all served (of %d the reporters serve): %s"
          % (len(read), len(served), ", ".join(sorted(read))))
    assert len(read) >= 7


STORE = "https://127.0.0.1:19428"
STORE_USER = (LAB["tda_remote_write_username"], VAULT["vault_tda_remote_write_password"])


def store_query(expr, auth=True):
    """An instant query to the lab's long-term store, as the remote-write user of the lab's vault."""
    status, body = client.request("GET", STORE + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}),
                                  auth=STORE_USER if auth else None)
    if status != 200:
        raise client.urllib.error.HTTPError(STORE, status, "HTTP %d" % status, None, None)
    return json.loads(body)["data"]["result"]


def test_every_scrape_jobs_series_are_in_the_long_term_store_once(faults_induced):
    """After the journeys (minutes of remote writes): the store answers 401 without credentials,
    and holds the up series of every target Prometheus scrapes - one series per target, no copy."""
    assert faults_induced["healed"]
    with pytest.raises(client.urllib.error.HTTPError) as refused:
        store_query("up", auth=False)
    assert refused.value.code == 401
    scraped = {(t["labels"]["job"], t["labels"]["instance"])
               for t in get(PROMETHEUS + "/api/v1/targets")["data"]["activeTargets"]}
    stored = wait_for(lambda: scraped <= {(s["metric"]["job"], s["metric"]["instance"]) for s in store_query("up")}
                      and store_query("up"), timeout=90)
    assert stored, "targets not in the store: %s" % sorted(
        scraped - {(s["metric"]["job"], s["metric"]["instance"]) for s in store_query("up")})
    copies = store_query("count by (job, instance) (up)")
    assert all(c["value"][1] == "1" for c in copies), [c for c in copies if c["value"][1] != "1"]
    jobs = {j["metric"]["job"] for j in store_query("count by (job) ({__name__=~'.+', job!=''})")}
    print("\nthe long-term store holds the up series of %d targets, once each, and series of %d jobs (%s)"
          % (len(scraped), len(jobs), ", ".join(sorted(jobs))))
    assert {job for job, _instance in scraped} <= jobs


def test_the_store_has_no_gap_while_one_prometheus_was_stopped(faults_induced):
    """mon1's Prometheus was stopped while the faults were induced (faults_induced): mon2 kept
    writing, so every node_exporter's up series in the store has a sample at least every two
    scrape intervals across that window, and mon2 saw mon1 down meanwhile."""
    stopped, started = faults_induced["stopped"], faults_induced["started"]
    assert started - stopped > 60
    down = get(SURVIVOR + "/api/v1/query?" + urllib.parse.urlencode({
        "query": "max_over_time(up{job='prometheus', instance='tda-lab-mon1:9090'}[%ds])" % int(started - stopped - 2 * SCRAPE),
        "time": "%.3f" % (started - SCRAPE)}))["data"]["result"]
    assert down and down[0]["value"][1] == "0", "mon2 did not see mon1's Prometheus down: %s" % down
    status, body = client.request("GET", STORE + "/api/v1/export?" + urllib.parse.urlencode({
        "match[]": "up{job='node'}", "start": "%d" % stopped, "end": "%d" % started}), auth=STORE_USER)
    assert status == 200, status
    series = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    assert len(series) == len(LAB_HOSTS["node_exporter"]), [s["metric"] for s in series]
    worst = {}
    for one in series:
        stamps = sorted(one["timestamps"])
        edges = [stamps[0] / 1000 - stopped, started - stamps[-1] / 1000]
        worst[one["metric"]["instance"]] = max([b - a for a, b in zip(stamps, stamps[1:])] or [0]) / 1000
        assert max(edges) <= 2 * SCRAPE, "%s: no sample within %ds of the window's edges %s" % (one["metric"], 2 * SCRAPE, edges)
    assert max(worst.values()) <= 2 * SCRAPE, "gaps in the store while mon1 was stopped: %s" % worst
    print("\nmon1 stopped for %.0f s: %d node series in the store, the longest gap between samples %.1f s (scrape interval %d s)"
          % (started - stopped, len(series), max(worst.values()), SCRAPE))


@pytest.fixture(scope="module")
def flink_faults(faults_induced):
    """The second round, after the first has resolved: the lab's job replaced by one that fails on
    its first row (Flink's default backoff restarts it ever more slowly), then - once the restart
    alert is notified and the cluster's hold has passed - the JobManager stopped, which takes the
    job's series with it. Healed: the JobManager started, the datagen job submitted again."""
    assert faults_induced["healed"]
    assert wait_for(none_active, timeout=420, interval=5), "alerts of the first round still active"
    request("DELETE", SINK + "/records")
    hold = cluster_hold()
    induced, notified, pending = {}, {}, {}
    flink_submit("failing")
    induced["FlinkHighRestartRate"] = time.time()
    jobmanager_target = None
    try:
        def round_notified():
            seen = {(n[0], n[1]) for n in notifications() if n[2] == "firing"}
            for name, fault in FLINK_FAULTS.items():
                alert = active_at(name)
                if alert and name in induced and name not in pending:
                    pending[name] = alert["activeAt"]
                if name in induced and name not in notified and all((name, r) in seen for r in fault["receivers"]):
                    notified[name] = time.time()
            if "FlinkHighRestartRate" in notified and "FlinkJobDown" not in induced \
                    and time.time() >= notified["FlinkHighRestartRate"] + hold:
                docker(FLINK_JM, "systemctl", "stop", "flink-jobmanager")
                induced["FlinkJobDown"] = time.time()
            return len(notified) == len(FLINK_FAULTS)
        wait_for(round_notified, timeout=600 + 2 * hold, interval=2)
        # the target-down alert of the stopped JobManager, beside FlinkJobDown (its for: 5m is not waited)
        jobmanager_target = next((alert for alert in get(SURVIVOR + "/api/v1/alerts")["data"]["alerts"]
                                  if alert["labels"]["alertname"] == "TargetDown" and alert["labels"].get("job") == "flink"), None)
    finally:
        docker(FLINK_JM, "systemctl", "start", "flink-jobmanager")
        healed = time.time()
        assert wait_for(flink_overview_ready, timeout=120), "the JobManager did not come back"
        flink_cancel("tda-lab-failing")
        flink_heal_datagen()

    def round_resolved():
        seen = {(n[0], n[1]) for n in notifications() if n[2] == "resolved"}
        return all((name, r) in seen for name, fault in FLINK_FAULTS.items() for r in fault["resolved"])
    wait_for(round_resolved, timeout=360, interval=3)
    time.sleep(hold + running_group_interval())
    # the restart loop ends with the JobManager's stop (its series go), FlinkJobDown with its start
    return {"induced": induced, "notified": notified, "pending": pending, "target_down": jobmanager_target,
            "healed": {"FlinkHighRestartRate": induced.get("FlinkJobDown", healed), "FlinkJobDown": healed},
            "all": notifications(), "hold": hold}


def flink_overview_ready():
    try:
        overview = json.loads(urllib.request.urlopen(FLINK_REST + "/overview", timeout=5).read())
    except OSError:
        return False
    return overview.get("taskmanagers", 0) >= len(LAB_HOSTS["flink_taskmanager"])


@pytest.mark.parametrize("alertname", sorted(FLINK_FAULTS))
def test_flink_faults_reach_their_receivers_once_in_time_and_resolve(flink_faults, alertname):
    """The restart loop -> FlinkHighRestartRate at ops-team and business-hours; the JobManager
    stopped -> FlinkJobDown at PagerDuty and ops-team (the corrected rule: the seed's was silent
    when the JobManager itself was gone). Each once per receiver, within for + group_wait + two
    scrape intervals of becoming pending, resolved once at each receiver that sends it."""
    check_notified_once_in_time(flink_faults, alertname, FLINK_FAULTS[alertname])
    check_resolved_once(flink_faults, alertname, FLINK_FAULTS[alertname])


def test_the_stopped_jobmanager_is_also_a_target_down(flink_faults):
    alert = flink_faults["target_down"]
    assert alert and alert["labels"].get("job") == "flink" and LAB_HOSTS["flink_jobmanager"][0] in json.dumps(alert["labels"]), \
        "no TargetDown for the stopped JobManager: %s" % alert
    print("\nTargetDown %s for %s beside FlinkJobDown" % (alert["state"], alert["labels"].get("instance")))
