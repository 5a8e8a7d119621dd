"""What a deploy of the whole profile costs in the lab (make bench; prints figures, asserts nothing).

The lab of inventories/lab (nine systemd containers: the HA pair and the Alertmanager cluster,
blackbox_exporter, Pushgateway, the store and the sink, the TDA API on two hosts, PostgreSQL, Redis
and nginx with their exporters, a Flink JobManager and TaskManager, node_exporter everywhere), created fresh by tools/lab.sh with the lab's own
services; then `ansible-playbook -i inventories/lab site.yml` as the README runs it: first
converge, a no-change re-run, a config-only change (tda_scrape_interval 5s -> 6s), and the floor
(gather_facts + ping over the same hosts). The lab is removed at the end (--keep leaves it).
"""
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab"))
from client import PROMETHEUS, get  # noqa: E402  pylint: disable=wrong-import-position
from measure import ROOT, failed_scrapes, machine_speed, median_run, restarts, run, sh, start_times, table, write

UNITS = ("prometheus", "alertmanager", "blackbox_exporter", "pushgateway", "node_exporter", "postgres_exporter",
         "redis_exporter", "nginx_exporter")


def lab_units():
    """(container, unit) of every daemon site.yml deployed in the lab."""
    out = []
    for container in sh("docker", "ps", "--format", "{{.Names}}", "--filter", "label=tda.lab=1").stdout.split():
        for unit in UNITS:
            if sh("docker", "exec", container, "systemctl", "cat", unit, check=False).returncode == 0:
                out.append((container, unit))
    return out


def prometheus_api(path):
    try:
        return get(PROMETHEUS + path)
    except OSError:
        return None


def query(expr):
    return prometheus_api("/api/v1/query?query=" + urllib.parse.quote(expr))


def active(interval):
    def check():
        config = prometheus_api("/api/v1/status/config")
        return bool(config and "scrape_interval: %s" % interval in config["data"]["yaml"])
    return check


def site(*extra, **kwargs):
    return run(["ansible-playbook", "-i", "inventories/lab", "site.yml"] + list(extra), log_name="bench-lab", **kwargs)


def main():
    keep = "--keep" in sys.argv
    sh("bash", os.path.join(ROOT, "tools", "lab.sh"), "down")
    results = {"machine_loop_s": machine_speed()}
    try:
        sh("bash", os.path.join(ROOT, "tools", "lab.sh"), "hosts")
        results["floor"] = median_run(lambda: run(["ansible-playbook", "-i", "inventories/lab", "bench/floor.yml"],
                                                  log_name="bench-lab"))
        results["first_converge"] = site()
        units = lab_units()
        starts = start_times(units)
        results["no_change"] = median_run(site)
        results["no_change"]["restarts"] = restarts(starts, start_times(units))
        time.sleep(20)  # some scrapes before the change, to compare with
        starts = start_times(units)
        change_started = time.time()
        results["config_change"] = site("-e", "tda_scrape_interval=6s", active=active("6s"))
        results["config_change"]["restarts"] = restarts(starts, start_times(units))
        time.sleep(15)  # scrapes after the change
        results["config_change"]["failed_scrapes"] = failed_scrapes(query, int(time.time() - change_started) + 5)
        results["no_change"]["ratio_to_floor"] = round(results["no_change"]["wall_s"] / results["floor"]["wall_s"], 1)
        results["daemons"] = len(units)
    finally:
        if not keep:
            sh("bash", os.path.join(ROOT, "tools", "lab.sh"), "down", check=False)
    table("The lab: the whole profile, site.yml on six hosts (%d daemons)" % results["daemons"], results)
    write("bench-lab.json", results)


if __name__ == "__main__":
    main()
