"""What a deploy costs (make bench; prints figures, asserts nothing).

Four fresh systemd containers from the Debian 12 image (tda-molecule:debian12): Prometheus 2.42.0
and Alertmanager 0.25.0 on one, node_exporter 1.5.0 on all four, installed from release
archives on a local mirror (built from Debian's packages), connection community.docker.docker,
pipelining on, 5 forks, linear strategy. Measured: first converge, a no-change re-run, a
config-only change (one scrape interval) and the floor (gather_facts + ping): wall time,
controller CPU time, tasks, tasks changed, daemon restarts, time until the new configuration is
active, and failed scrapes during the config-only change. The floor and the no-change re-run run
three times each; the table shows the median run.

What check mode costs on the same workload: `--check` on the converged hosts (median of three)
and `--check --diff` of the config-only change before it runs (check mode validates the
candidate on the host with the real tools). TDA_BENCH_BASELINE=<git revision> also measures that
revision's no-change re-run on the same hosts in the same run (median of three), to compare with.
"""
import json
import os
import shutil
import subprocess
import sys
import time

from measure import ROOT, failed_scrapes, machine_speed, median_run, restarts, run, sh, start_times, table, write

HOSTS = ["mon1", "node1", "node2", "node3"]
PREFIX = "tda-bench-"
NETWORK = "tda-bench"
MIRROR_PORT, PROXY_PORT = 18110, 18111


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
    # each host's container name written out: a templated ansible_host is compiled again in every task's worker
    lines = (["[monitoring]"] + ["%s ansible_host=%s%s" % (host, PREFIX, host) for host in HOSTS[:1]]
             + ["[nodes]"] + ["%s ansible_host=%s%s" % (host, PREFIX, host) for host in HOSTS[1:]])
    lines += ["[all:vars]",
              "ansible_connection=community.docker.docker",
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


UNITS = [(PREFIX + "mon1", unit) for unit in ("prometheus", "alertmanager", "node_exporter")] + [
    (PREFIX + host, "node_exporter") for host in HOSTS[1:]]


def prometheus_api(path):
    proc = sh("docker", "exec", PREFIX + "mon1", "curl", "-fsS", "-g", "http://127.0.0.1:9090" + path, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def query(expr):
    return prometheus_api("/api/v1/query?query=" + expr.replace(" ", "%20").replace("+", "%2B"))


def active(interval):
    def check():
        config = prometheus_api("/api/v1/status/config")
        return bool(config and "scrape_interval: %s" % interval in config["data"]["yaml"])
    return check


def play(inv, playbook, *extra, tree=ROOT, **kwargs):
    """ansible-playbook with the collection of tree (this checkout, or a baseline's worktree)."""
    collections = os.path.join(tree, "collections")
    if tree != ROOT:
        collections += os.pathsep + os.path.join(ROOT, "collections")  # the dependencies
    env = dict(ANSIBLE_PIPELINING="True", ANSIBLE_FORKS="5", ANSIBLE_STRATEGY="linear",
               ANSIBLE_COLLECTIONS_PATH=collections)
    return run(["ansible-playbook", "-i", inv, os.path.join(tree, "bench", playbook)] + list(extra), env=env,
               log_name="bench-deploy", **kwargs)


def baseline_tree(revision, work):
    """A worktree of revision with its collection link, or None without TDA_BENCH_BASELINE."""
    if not revision:
        return None
    tree = os.path.join(work, "baseline")
    # the machine's cache outlives checkouts: a worktree another clone left there goes first
    subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], capture_output=True, check=False)
    shutil.rmtree(tree, ignore_errors=True)
    sh("git", "-C", ROOT, "worktree", "prune")
    sh("git", "-C", ROOT, "worktree", "add", "--detach", tree, revision)
    link = os.path.join(tree, "collections", "ansible_collections", "tda")
    os.makedirs(link, exist_ok=True)
    os.symlink("../../..", os.path.join(link, "monitoring"))
    return tree


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
    results = {"machine_loop_s": machine_speed()}
    try:
        containers_up()
        results["floor"] = median_run(lambda: play(inv, "floor.yml"))
        results["first_converge"] = play(inv, "deploy.yml", "-e", "bench_scrape_interval=5s")
        starts = start_times(UNITS)
        results["no_change"] = median_run(lambda: play(inv, "deploy.yml", "-e", "bench_scrape_interval=5s"))
        results["no_change"]["restarts"] = restarts(starts, start_times(UNITS))
        results["check_no_change"] = median_run(lambda: play(inv, "deploy.yml", "--check", "-e", "bench_scrape_interval=5s"))
        baseline = baseline_tree(os.environ.get("TDA_BENCH_BASELINE", ""), work)
        if baseline:
            play(inv, "deploy.yml", "-e", "bench_scrape_interval=5s", tree=baseline)  # its own converged state first
            results["baseline_no_change"] = median_run(
                lambda: play(inv, "deploy.yml", "-e", "bench_scrape_interval=5s", tree=baseline))
            results["baseline_no_change"]["revision"] = os.environ["TDA_BENCH_BASELINE"]
            play(inv, "deploy.yml", "-e", "bench_scrape_interval=5s")  # back to this checkout's state
        results["check_config_change"] = play(inv, "deploy.yml", "--check", "--diff", "-e", "bench_scrape_interval=6s")
        time.sleep(20)  # some scrapes before the change, to compare with
        starts = start_times(UNITS)
        change_started = time.time()
        results["config_change"] = play(inv, "deploy.yml", "-e", "bench_scrape_interval=6s", active=active("6s"))
        results["config_change"]["restarts"] = restarts(starts, start_times(UNITS))
        time.sleep(15)  # scrapes after the change
        results["config_change"]["failed_scrapes"] = failed_scrapes(query, int(time.time() - change_started) + 5)
        results["no_change"]["ratio_to_floor"] = round(results["no_change"]["wall_s"] / results["floor"]["wall_s"], 1)
        if "baseline_no_change" in results:
            results["no_change"]["ratio_to_baseline"] = round(
                results["no_change"]["wall_s"] / results["baseline_no_change"]["wall_s"], 2)
    finally:
        containers_down()
        sh(sys.executable, os.path.join(ROOT, "molecule", "shared", "mirror", "serve.py"), "stop", state, check=False)
    table("The workload: Prometheus + Alertmanager on one host, node_exporter on four (archive installs)", results)
    print("check mode: --check on the converged hosts %.2f s (%.1fx the no-change re-run); --check --diff of the "
          "config change %.2f s" % (results["check_no_change"]["wall_s"],
                                    results["check_no_change"]["wall_s"] / results["no_change"]["wall_s"],
                                    results["check_config_change"]["wall_s"]))
    if "baseline_no_change" in results:
        print("no-change re-run against %s's on the same hosts: %.2fx (within 10%%: %s)"
              % (results["baseline_no_change"]["revision"], results["no_change"]["ratio_to_baseline"],
                 "yes" if results["no_change"]["ratio_to_baseline"] <= 1.10 else "NO"))
    else:
        print("no baseline measured (TDA_BENCH_BASELINE=<git revision> compares the no-change re-run with it)")
    write("bench-deploy.json", results)


if __name__ == "__main__":
    main()
