"""Print how many of the lab Prometheus's targets are up and which rules it loaded (lab-only)."""
import json
import sys
import urllib.request


def get(prom, path):
    with urllib.request.urlopen(prom + path, timeout=5) as response:
        return json.load(response)["data"]


def main(prom):
    try:
        targets = get(prom, "/api/v1/targets")["activeTargets"]
        groups = get(prom, "/api/v1/rules")["groups"]
    except OSError as exc:
        print("== Prometheus does not answer at %s: %s" % (prom, exc))
        return
    up = [t for t in targets if t["health"] == "up"]
    print("== targets up: %d of %d" % (len(up), len(targets)))
    for target in targets:
        if target["health"] != "up":
            print("   not up: %s %s (%s)" % (target["labels"].get("job"), target["scrapeUrl"],
                                            target.get("lastError") or target["health"]))
    rules = [rule for group in groups for rule in group["rules"]]
    print("== rules loaded: %d alerting, %d recording; not healthy: %d" % (
        len([r for r in rules if r["type"] == "alerting"]), len([r for r in rules if r["type"] == "recording"]),
        len([r for r in rules if r.get("health") != "ok"])))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:19090")
