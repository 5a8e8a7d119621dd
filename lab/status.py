"""Print how many of the lab Prometheus's targets are up and which rules it loaded (lab-only)."""
import sys
import time

from client import PROMETHEUS, get as get_json


def get(prom, path):
    return get_json(prom + path)["data"]


def main(prom, wait=90):
    # a freshly deployed Prometheus has not scraped nor evaluated yet: wait for that, briefly
    deadline = time.time() + wait
    while True:
        try:
            targets = get(prom, "/api/v1/targets")["activeTargets"]
            groups = get(prom, "/api/v1/rules")["groups"]
        except OSError as exc:
            targets, groups, error = [], [], exc
        else:
            error = None
        settled = targets and all(t["health"] != "unknown" for t in targets) and all(
            r.get("health") != "unknown" for g in groups for r in g["rules"])
        if settled or time.time() > deadline:
            break
        time.sleep(3)
    if error:
        print("== Prometheus does not answer at %s: %s" % (prom, error))
        return
    up = [t for t in targets if t["health"] == "up"]
    print("== targets up: %d of %d" % (len(up), len(targets)))
    for target in targets:
        if target["health"] != "up":
            reason = target.get("lastError") or target["health"]
            print("   not up: %s %s (%s)" % (target["labels"].get("job"), target["scrapeUrl"], reason))
    rules = [rule for group in groups for rule in group["rules"]]
    print("== rules loaded: %d alerting, %d recording; not healthy: %d" % (
        len([r for r in rules if r["type"] == "alerting"]), len([r for r in rules if r["type"] == "recording"]),
        len([r for r in rules if r.get("health") != "ok"])))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else PROMETHEUS)
