"""What bench/deploy.py and bench/lab.py share: running a playbook and measuring it, counting
daemon restarts, failed scrapes, and the table they print."""
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*argv, check=True):
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(argv), (proc.stdout or "") + (proc.stderr or "")))
    return proc


def run(argv, env=None, active=None, log_name="bench"):
    """Run ansible-playbook argv; wall time, controller CPU time, tasks, and with active (a
    function that is true once the new configuration serves) the seconds until it was."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    seen = {}

    def watch():
        while "done" not in seen:
            if active():
                seen["seconds"] = round(time.time() - started, 2)
                return
            time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True) if active else None
    if watcher:
        watcher.start()
    proc = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ, **(env or {})), cwd=ROOT,
                          check=False)
    wall = time.time() - started
    if watcher:
        watcher.join(timeout=30)
        seen["done"] = True
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        log = os.path.join(ROOT, "artifacts", "%s-failed.log" % log_name)
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as handle:
            handle.write(proc.stdout + proc.stderr)
        sys.exit("%s failed (whole output in %s):\n%s" % (" ".join(argv), log, proc.stdout[-3000:]))
    recap = re.findall(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)", proc.stdout)
    return {"wall_s": round(wall, 2),
            "controller_cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
            "tasks_ok": sum(int(ok) for ok, _c, _s in recap),
            "tasks_changed": sum(int(c) for _ok, c, _s in recap),
            "tasks_skipped": sum(int(s) for _ok, _c, s in recap),
            "active_after_s": seen.get("seconds")}


def machine_speed():
    """Seconds a pure-Python loop of ten million additions takes: this machine's speed varies over a
    day, and the figures of two runs compare only beside it."""
    started = time.time()
    total = 0
    for number in range(10 ** 7):
        total += number
    return round(time.time() - started, 2)


def median_run(play, times=3):
    """The machine's speed varies from run to run (a floor of 3.3 to 5.1 s over one day here): the
    run of median wall time out of several, with every run's wall time beside it."""
    runs = sorted((play() for _attempt in range(times)), key=lambda row: row["wall_s"])
    chosen = dict(runs[len(runs) // 2])
    chosen["wall_s_runs"] = [row["wall_s"] for row in runs]
    chosen["tasks_changed"] = max(row["tasks_changed"] for row in runs)
    return chosen


def start_times(units):
    """Each (container, unit)'s main process start; a unit that does not exist reads empty."""
    out = {}
    for container, unit in units:
        out["%s/%s" % (container, unit)] = sh("docker", "exec", container, "systemctl", "show", "-P",
                                              "ExecMainStartTimestampMonotonic", unit, check=False).stdout.strip()
    return out


def restarts(before, after):
    return sum(1 for key, value in after.items() if before.get(key) not in ("", "0", None) and before[key] != value)


def failed_scrapes(query, window):
    """Scrapes that failed (up == 0) over the last window seconds, all targets together."""
    result = query("sum(count_over_time(up[%ds]) - sum_over_time(up[%ds]))" % (window, window))
    values = result["data"]["result"] if result else []
    return int(float(values[0]["value"][1])) if values else None


def table(title, results):
    print("\n%s" % title)
    print("%-20s %8s %8s %6s %8s %9s %10s" % ("run", "wall s", "cpu s", "tasks", "changed", "restarts", "active s"))
    rows = ("floor", "first_converge", "no_change", "baseline_no_change", "check_no_change", "check_config_change",
            "config_change")
    for name in [row for row in rows if row in results]:
        row = results[name]
        fields = (name, row["wall_s"], row["controller_cpu_s"], row["tasks_ok"] + row["tasks_skipped"],
                  row["tasks_changed"], row.get("restarts", "-"), row.get("active_after_s") or "-")
        print("%-20s %8.2f %8.2f %6d %8d %9s %10s" % fields)
    print("machine: a pure-Python loop of 10^7 additions took %.2f s" % results["machine_loop_s"])
    print("floor and no-change: the median of %d runs each (wall s: %s; %s)"
          % (len(results["no_change"]["wall_s_runs"]), " ".join("%.2f" % w for w in results["floor"]["wall_s_runs"]),
             " ".join("%.2f" % w for w in results["no_change"]["wall_s_runs"])))
    print("no-change re-run / floor: %sx; failed scrapes during the config change: %s"
          % (results["no_change"]["ratio_to_floor"], results["config_change"]["failed_scrapes"]))


def write(name, results):
    path = os.path.join(ROOT, "artifacts", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(results, handle, indent=2)
    print("figures written to %s" % path)
