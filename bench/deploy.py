"""What a deploy costs (make bench; prints figures, asserts nothing).

Four fresh systemd containers from the Debian 12 image (tda-molecule:debian12): Prometheus 2.42.0
and Alertmanager 0.25.0 on one, node_exporter 1.5.0 on all four, installed from release
archives on a local mirror (built from Debian's packages), connection community.docker.docker,
pipelining on, 5 forks, linear strategy. Measured: first converge, a no-change re-run, a
config-only change (one scrape interval) and the floor (gather_facts + ping): wall time,
controller CPU time, tasks, tasks changed, daemon restarts, time until the new configuration is
active, and failed scrapes during the config-only change.
"""
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTS = ["mon1", "node1", "node2", "node3"]
PREFIX = "tda-bench-"
NETWORK = "tda-bench"
MIRROR_PORT, PROXY_PORT = 18110, 18111
DAEMONS = {"mon1": ["prometheus", "alertmanager", "node_exporter"]}


def sh(*argv, check=True, capture=True):
    proc = subprocess.run(list(argv), capture_output=capture, text=True, check=False)
    if check and proc.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(argv), (proc.stdout or "") + (proc.stderr or "")))
    return proc


def containers_down():
    names = sh("docker", "ps", "-aq", "--filter", "label=tda.bench=1").stdout.split()
    if names:
        sh("docker", "rm", "-f", *names)
    sh("docker", "network", "rm", NETWORK, check=False)


def containers_up():
    containers_down()
    sh("docker", "network", "create", NETWORK)
    for host in HOSTS:
        sh("docker", "run", "-d", "--name", PREFIX + host, "--hostname", host, "--network", NETWORK,
           "--label", "tda.bench=1", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
           "--security-opt", "seccomp=unconfined", "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
           "--tmpfs", "/run", "--tmpfs", "/run/lock", "--stop-signal", "SIGRTMIN+3",
           "tda-molecule:debian12", "/lib/systemd/systemd")
    for host in HOSTS:
        for _attempt in range(60):
            state = sh("docker", "exec", PREFIX + host, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)


def inventory(path, cache):
    mirror = "http://127.0.0.1:%d" % MIRROR_PORT
    lines = ["[monitoring]", "mon1", "[nodes]", "node1", "node2", "node3", "[all:vars]",
             "ansible_connection=community.docker.docker", "ansible_host=%s{{ inventory_hostname }}" % PREFIX,
             "ansible_python_interpreter=/usr/bin/python3",
             "node_exporter_install_method=archive", "node_exporter_version=1.5.0",
             "node_exporter_archive_url=%s/node_exporter/releases/download/v1.5.0" % mirror,
             "node_exporter_archive_cache_dir=%s" % cache,
             "prometheus_install_method=archive", "prometheus_version=2.42.0",
             "prometheus_archive_url=%s/prometheus/releases/download/v2.42.0" % mirror,
             "prometheus_archive_cache_dir=%s" % cache,
             "alertmanager_install_method=archive", "alertmanager_version=0.25.0",
             "alertmanager_archive_url=%s/alertmanager/releases/download/v0.25.0" % mirror,
             "alertmanager_archive_cache_dir=%s" % cache]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def start_times():
    """Each daemon's main process start, to count restarts."""
    out = {}
    for host, units in DAEMONS.items():
        for unit in units:
            value = sh("docker", "exec", PREFIX + host, "systemctl", "show", "-P", "ExecMainStartTimestampMonotonic",
                       unit, check=False).stdout.strip()
            out["%s/%s" % (host, unit)] = value
    for host in HOSTS[1:]:
        out["%s/node_exporter" % host] = sh("docker", "exec", PREFIX + host, "systemctl", "show", "-P",
                                            "ExecMainStartTimestampMonotonic", "node_exporter",
                                            check=False).stdout.strip()
    return out


def prometheus_api(path):
    proc = sh("docker", "exec", PREFIX + "mon1", "curl", "-fsS", "-g", "http://127.0.0.1:9090" + path, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def run(playbook, inv, *extra, watch_interval=None):
    env = dict(os.environ, ANSIBLE_PIPELINING="True", ANSIBLE_FORKS="5", ANSIBLE_STRATEGY="linear",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    active_after = {}

    def watch():
        while "done" not in active_after:
            config = prometheus_api("/api/v1/status/config")
            if config and "scrape_interval: %s" % watch_interval in config["data"]["yaml"]:
                active_after["seconds"] = round(time.time() - started, 2)
                return
            time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True) if watch_interval else None
    if watcher:
        watcher.start()
    proc = subprocess.run(["ansible-playbook", "-i", inv, os.path.join(ROOT, "bench", playbook)] + list(extra),
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.time() - started
    if watcher:
        watcher.join(timeout=30)
        active_after["done"] = True
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        log = os.path.join(ROOT, "artifacts", "bench-deploy-failed.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as handle:
            handle.write(proc.stdout + proc.stderr)
        sys.exit("%s failed (whole output in %s):\n%s" % (playbook, log, proc.stdout[-3000:]))
    recap = re.findall(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)", proc.stdout)
    return {"wall_s": round(wall, 2),
            "controller_cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
            "tasks_ok": sum(int(ok) for ok, _c, _s in recap),
            "tasks_changed": sum(int(c) for _ok, c, _s in recap),
            "tasks_skipped": sum(int(s) for _ok, _c, s in recap),
            "active_after_s": active_after.get("seconds")}


def failed_scrapes(window):
    query = "sum(count_over_time(up[%ds]) - sum_over_time(up[%ds]))" % (window, window)
    result = prometheus_api("/api/v1/query?query=" + query.replace(" ", "%20").replace("+", "%2B"))
    values = result["data"]["result"] if result else []
    return int(float(values[0]["value"][1])) if values else None


def main():
    work = os.path.join(ROOT, ".cache", "bench")
    os.makedirs(work, exist_ok=True)
    mirror = os.path.join(ROOT, ".cache", "mirror")
    sh(sys.executable, os.path.join(ROOT, "molecule", "shared", "mirror", "build.py"), mirror,
       "node_exporter:bookworm", "prometheus:bookworm", "alertmanager:bookworm")
    state = os.path.join(work, "mirror-state")
    sh(sys.executable, os.path.join(ROOT, "molecule", "shared", "mirror", "serve.py"), "start", state, mirror,
       str(MIRROR_PORT), str(PROXY_PORT))
    inv = os.path.join(work, "inventory.ini")
    inventory(inv, os.path.join(work, "cache"))
    results = {}
    try:
        containers_up()
        results["floor"] = run("floor.yml", inv)
        results["first_converge"] = run("deploy.yml", inv, "-e", "bench_scrape_interval=5s")
        starts = start_times()
        results["no_change"] = run("deploy.yml", inv, "-e", "bench_scrape_interval=5s")
        results["no_change"]["restarts"] = sum(1 for k, v in start_times().items() if starts[k] != v)
        time.sleep(20)  # some scrapes before the change, to compare with
        starts = start_times()
        change_started = time.time()
        results["config_change"] = run("deploy.yml", inv, "-e", "bench_scrape_interval=6s", watch_interval="6s")
        results["config_change"]["restarts"] = sum(1 for k, v in start_times().items() if starts[k] != v)
        time.sleep(15)  # scrapes after the change
        results["config_change"]["failed_scrapes"] = failed_scrapes(int(time.time() - change_started) + 5)
        results["no_change"]["ratio_to_floor"] = round(results["no_change"]["wall_s"] / results["floor"]["wall_s"], 1)
    finally:
        containers_down()
        sh(sys.executable, os.path.join(ROOT, "molecule", "shared", "mirror", "serve.py"), "stop", state, check=False)
    print("\n%-16s %8s %8s %6s %8s %9s %10s" % ("run", "wall s", "cpu s", "tasks", "changed", "restarts", "active s"))
    for name in ("floor", "first_converge", "no_change", "config_change"):
        row = results[name]
        fields = (name, row["wall_s"], row["controller_cpu_s"], row["tasks_ok"] + row["tasks_skipped"],
                  row["tasks_changed"], row.get("restarts", "-"), row.get("active_after_s") or "-")
        print("%-16s %8.2f %8.2f %6d %8d %9s %10s" % fields)
    print("no-change re-run / floor: %sx; failed scrapes during the config change: %s"
          % (results["no_change"]["ratio_to_floor"], results["config_change"]["failed_scrapes"]))
    path = os.path.join(ROOT, "artifacts", "bench-deploy.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(results, handle, indent=2)
    print("figures written to %s" % path)


if __name__ == "__main__":
    main()
