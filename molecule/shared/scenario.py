"""Helpers shared by the scenarios' testinfra verifiers (test-only).

The verifiers run on the controller; these helpers run the scenario's converge again with
extra variables, as an operator would, and read the daemons' HTTP APIs from inside a host.
"""
import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import quote

import yaml


def converge(*extra, verbose=False, playbook="converge.yml"):
    """ansible-playbook on the scenario's converge.yml (or another of its playbooks) and inventory;
    returns (rc, output)."""
    env = dict(os.environ)
    argv = ["ansible-playbook", "-i", env["MOLECULE_INVENTORY_FILE"],
            os.path.join(env["MOLECULE_SCENARIO_DIRECTORY"], playbook)] + list(extra)
    if verbose:
        argv[1:1] = ["-vvv", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def changed_tasks(output):
    """The sum of changed= over a play recap: what a run reported as changed."""
    recap = output[output.rfind("PLAY RECAP"):]
    return sum(int(n) for n in re.findall(r"changed=(\d+)", recap))


_TASK_HEADER = re.compile(r"^TASK \[(?P<name>.*)\] \**$")
_LOG_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.]\d+)?(?:Z|[+-]\d\d:?\d\d)")
_REFUSED = "the new configuration was not activated and nothing broken was left in place."


def changed_task_names(output):
    """The tasks a run reported as changed, in order, each as 'task name: host'."""
    names, task = [], None
    for line in output.splitlines():
        header = _TASK_HEADER.match(line)
        if header:
            task = header.group("name")
        elif line.startswith("changed: [") and task:
            names.append("%s: %s" % (task, line[len("changed: ["):].split("]")[0]))
    return names


def by_task(names):
    """'task: host' entries as (task, its hosts sorted), in the tasks' order: hosts of one task
    report in the order their forks finish."""
    grouped = []
    for name in names:
        task, host = name.rsplit(": ", 1)
        if grouped and grouped[-1][0] == task:
            grouped[-1][1].append(host)
        else:
            grouped.append((task, [host]))
    return [(task, sorted(hosts)) for task, hosts in grouped]


def refusal(output):
    """What the role's final refusal said after its fixed opening (the task, the tool's message),
    with whitespace joined (the YAML callback folds long lines), or None."""
    start = output.rfind(_REFUSED)
    if start < 0:
        return None
    rest = output[start + len(_REFUSED):]
    ends = [i for i in (rest.find("\n\n"), rest.find("\nPLAY RECAP"), rest.find("\nNO MORE HOSTS")) if i >= 0]
    said = " ".join(rest[:min(ends) if ends else len(rest)].split()).strip("'\"} ")
    # a tool that logs stamps each line with the time: the same message an instant later
    return _LOG_TIME.sub("<time>", said)


def host_state(host, paths, units):
    """What a check run must leave alone: every file and directory under paths (sha256, owner,
    group, mode), each unit's MainPID, and candidates left in the temporary directory. host may
    be a list of hosts (an HA pair, a cluster): the state of each."""
    if isinstance(host, (list, tuple)):
        return [host_state(one, paths, units) for one in host]
    listing = host.run("find %s -printf '%%p %%u:%%g %%m\\n' 2>/dev/null | sort; "
                       "find %s -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum; "
                       "ls -d /tmp/tda-candidate-* 2>/dev/null; true" % (" ".join(paths), " ".join(paths))).stdout
    pids = {unit: host.run("systemctl show -P MainPID %s" % unit).stdout.strip() for unit in units}
    return listing, pids


def assert_check_mode_predicts_the_real_run(host, change, paths, units, check_only=(), verbose=False):
    """A changed variable: `--check --diff` changes nothing on the host (or on any of a list of
    hosts) and reports changed exactly the tasks the real run that follows changes; verbose runs
    both with -vvv --diff. Returns both outputs."""
    before = host_state(host, paths, units)
    rc, check = converge("--check", "--diff", *(list(check_only) + list(change)), verbose=verbose)
    assert rc == 0, check[-3000:]
    assert host_state(host, paths, units) == before, "the check run changed the host"
    rc, real = converge(*change, verbose=verbose)
    assert rc == 0, real[-3000:]
    predicted, done = by_task(changed_task_names(check)), by_task(changed_task_names(real))
    print("check mode predicted %d changed tasks: %s" % (len(predicted), predicted))
    assert done, "the change changed nothing; the test needs a change"
    assert predicted == done, "check mode said %s, the real run did %s" % (predicted, done)
    return check, real


def assert_check_mode_refuses_like_the_real_run(host, change, paths, units, expected):
    """A change only the daemon's own tool refuses: check mode fails with the real run's
    message, and neither run changes what the daemon serves. Returns the message."""
    before = host_state(host, paths, units)
    rc, check = converge("--check", *change)
    assert rc != 0, "check mode accepted what the real run refuses: " + check[-2000:]
    assert host_state(host, paths, units) == before, "the refused check run changed the host"
    rc, real = converge(*change)
    assert rc != 0, real[-2000:]
    said = refusal(check)
    assert said and expected in said, check[-3000:]
    assert said == refusal(real), "check mode said %r, the real run %r" % (said, refusal(real))
    print("check mode and the real run both refused: " + said)
    return said


def get_json(host, url):
    """GET a JSON API from inside the host (curl there), so no port needs publishing."""
    result = host.run("curl -fsS -g '%s'" % url)
    assert result.rc == 0, "%s: %s" % (url, result.stderr)
    return json.loads(result.stdout)


def wait_for(check, timeout=40, interval=1):
    """Call check() until it returns something true; AssertionErrors count as not yet."""
    deadline = time.time() + timeout
    while True:
        try:
            value = check()
        except AssertionError:
            if time.time() > deadline:
                raise
            value = None
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


def assert_no_secret(output, secrets):
    """No secret in a run's output; a failure names each leaked secret's position in the list and the
    tasks it appeared under (never the secret itself, which pytest would print)."""
    leaks = []
    for index, secret in enumerate(secrets):
        if secret in output:
            tasks, task = [], None
            for line in output.splitlines():
                header = _TASK_HEADER.match(line.strip())
                task = header.group("name") if header else task
                if secret in line and task not in tasks:
                    tasks.append(task)
            leaks.append("secret #%d (%d characters) under the tasks %s" % (index, len(secret), tasks))
    assert not leaks, "secrets in the -vvv --diff output: " + "; ".join(leaks)


def secret_key_lines():
    """The base64 lines of the scenario's TLS key (molecule/shared/pki.yml made it)."""
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "server.key")) as handle:
        return [line for line in handle.read().splitlines() if line and "PRIVATE KEY" not in line]


def exposure(host, unit, debian_unit):
    """Print systemd-analyze's exposure of our unit beside Debian's unit file for the same
    daemon (analysed offline: Debian's unit is masked), and return ours as a number."""
    ours = host.run("systemd-analyze security %s --no-pager | tail -1" % unit).stdout.strip()
    print("\n%s (ours): %s" % (unit, ours))
    debian = host.run("systemd-analyze security --offline=yes /lib/systemd/system/%s.service --no-pager "
                      "2>/dev/null | tail -1" % debian_unit).stdout.strip()
    print("%s (Debian's unit): %s" % (debian_unit, debian or "n/a"))
    return float(ours.split()[-3]) if "exposure level" in ours else 10.0


PROMETHEUS_QUERY = "http://127.0.0.1:9090/api/v1/query?query="
_COMPARISON_AT_END = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*[0-9.e+]+\s*$")


def profile_alerts(prefix):
    """The profile's alert rules whose name starts with prefix: {name: expr}."""
    path = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "profile", "rules", "alert-rules.yml")
    with open(path) as handle:
        groups = yaml.safe_load(handle)["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]
            if rule.get("alert", "").startswith(prefix)}


def signal_parts(expr):
    """An alert expression without its threshold: each `or` alternative with the comparison at its
    end removed, so it returns the signal itself whether or not the alert would fire."""
    return [_COMPARISON_AT_END.sub("", part) for part in re.split(r"\s+or\s+", " ".join(expr.split()))]


def query(host, promql):
    """Instant query through the host's Prometheus; returns the result vector."""
    return get_json(host, PROMETHEUS_QUERY + quote(promql))["data"]["result"]


def assert_profile_alerts_have_data(host, prefix, timeout=60):
    """Every profile alert named prefix*: at least one of its signals returns data through the real
    Prometheus, and the alert itself does not fire on the healthy service."""
    alerts = profile_alerts(prefix)
    assert alerts, "no %s* alert in profile/rules/alert-rules.yml" % prefix
    for name, expr in sorted(alerts.items()):
        # `up` always has data; the exporter's own series must be there
        parts = [part for part in signal_parts(expr) if not part.startswith("up{")]
        found = wait_for(lambda parts=parts: [p for p in parts if query(host, p)], timeout=timeout)
        print("%s: data for %s" % (name, found))
        assert query(host, expr) == [], "%s fires on a healthy service" % name


def dashboard_metrics(source):
    """The names (and counters named without _total) the dashboards read from one source
    (profile/dashboards/metrics.yml)."""
    path = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "profile", "dashboards", "metrics.yml")
    with open(path) as handle:
        entry = yaml.safe_load(handle)["sources"][source]
    return entry["names"], entry.get("counters", [])


def assert_dashboard_metrics_exported(host, source, metrics_url=None, curl_options="", through_prometheus=True):
    """Every metric the profile's dashboards read from this source has series in the host's
    Prometheus (or, without one, is a metric family of metrics_url); with metrics_url, the
    exporter also types each of the listed counters a counter."""
    names, counters = dashboard_metrics(source)
    types = {}
    if metrics_url:
        text = host.run("curl -fsS %s %s" % (curl_options, metrics_url)).stdout
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        assert {name: types.get(name) for name in counters} == {name: "counter" for name in counters}
    if through_prometheus:
        def missing():
            return [name for name in names if not query(host, 'count({__name__="%s"})' % name)]
        wait_for(lambda: not missing(), timeout=60)
        assert not missing(), "%s: no series in Prometheus for %s" % (source, missing())
    else:
        assert [name for name in names if name not in types] == [], "%s: not in %s" % (source, metrics_url)
    print("%s: %d dashboard metrics present%s" % (source, len(names), ", counters typed" if counters else ""))


def dashboard_queries_of(sources, dashboards):
    """The panel queries of these dashboards (file stems under profile/dashboards) that read only
    metrics these sources export (profile/dashboards/metrics.yml)."""
    project = os.environ.get("MOLECULE_PROJECT_DIRECTORY", ".")
    sys.path.insert(0, os.path.join(project, "collections"))
    from ansible_collections.tda.monitoring.plugins.filter.grafana_dashboard import dashboard_queries  # noqa: E501  pylint: disable=import-outside-toplevel
    names = set()
    for source in sources:
        names.update(dashboard_metrics(source)[0])
    queries = []
    for stem in dashboards:
        with open(os.path.join(project, "profile", "dashboards", stem + ".yml")) as handle:
            for item in dashboard_queries(yaml.safe_load(handle)):
                used = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]', "", item["expr"])))
                metrics = {name for name in used if name in _all_catalogued()}
                if metrics and metrics <= names:
                    queries.append(item)
    return queries


def assert_dashboard_queries_return_data(host, sources, dashboards, timeout=90):
    """Every panel query of these dashboards that reads only metrics of these sources returns
    data through the host's real Prometheus; returns how many were run."""
    queries = dashboard_queries_of(sources, dashboards)
    assert queries, "no query of %s reads only %s" % (dashboards, sources)
    for item in queries:
        assert wait_for(lambda expr=item["expr"]: query(host, expr), timeout=timeout), "%s: no data" % item["where"]
    print("%d dashboard queries return data: %s" % (len(queries), ", ".join(q["where"] for q in queries)))
    return len(queries)


def _all_catalogued():
    path = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "profile", "dashboards", "metrics.yml")
    with open(path) as handle:
        return {name for entry in yaml.safe_load(handle)["sources"].values() for name in entry["names"]}
