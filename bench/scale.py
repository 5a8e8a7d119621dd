"""Scale of a Prometheus deploy on the controller: render, lint and validate a configuration
with file_sd for N targets and R alert rules (make bench; prints figures, asserts nothing).

Then, against a real Prometheus on 127.0.0.1 reading those files: adding one host to the
inventory changes exactly one file_sd file and triggers no reload.
"""
import grp
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, ".cache", "host-tools", "bin")


def write_inventory(path, count):
    with open(path, "w") as handle:
        handle.write("[bench_targets]\n")
        for index in range(count):
            handle.write("t%05d ansible_host=10.%d.%d.%d\n" % (index, index // 65536 % 256, index // 256 % 256,
                                                               index % 256))


def write_rules(directory, count):
    os.makedirs(directory, exist_ok=True)
    rules = []
    for index in range(count):
        rules.append({"alert": "BenchAlert%03d" % index,
                      "expr": 'sum by (job, instance) (rate(bench_errors_total{shard="%d"}[5m])) '
                              '/ sum by (job, instance) (rate(bench_requests_total[5m])) > 0.05' % index,
                      "for": "5m", "labels": {"severity": "warning", "service": "bench"},
                      "annotations": {"summary": "bench %d" % index, "description": "{{ $labels.instance }}"}})
    with open(os.path.join(directory, "bench.yml"), "w") as handle:
        json.dump({"groups": [{"name": "bench", "rules": rules}]}, handle)


def run_playbook(bench_dir, inventory, tags):
    env = dict(os.environ, BENCH_DIR=bench_dir, BENCH_GROUP=grp.getgrgid(os.getgid()).gr_name,
               BENCH_PROMTOOL=os.path.join(TOOLS, "promtool"),
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"),
               PROFILE_TASKS_SORT_ORDER="none", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")
    argv = ["ansible-playbook", "-i", inventory, "-e", "ansible_python_interpreter=%s" % sys.executable,
            "--tags", tags, os.path.join(ROOT, "bench", "scale.yml")]
    started = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.time() - started
    if proc.returncode != 0:
        sys.exit("bench playbook failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
    steps = {}
    # profile_tasks' summary, in execution order ("name ---- 1.23s"): the included role tasks
    # count towards the "Step X |" task that included them
    summary = proc.stdout[proc.stdout.rfind("=" * 20):]
    step = "other"
    for name, seconds in re.findall(r"^(.+?) -+ (\d+\.\d+)s\s*$", summary, re.M):
        found = re.match(r"Step (\w+) \|", name)
        if found:
            step = found.group(1)
        steps[step] = steps.get(step, 0.0) + float(seconds)
    changed = re.search(r"changed=(\d+)", proc.stdout)
    return wall, steps, int(changed.group(1)) if changed else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def targets(port):
    url = "http://127.0.0.1:%d/api/v1/targets?state=active" % port
    with urllib.request.urlopen(url, timeout=10) as response:
        return len(json.load(response)["data"]["activeTargets"])


def scale(counts, rules):
    results = []
    for count in counts:
        bench_dir = tempfile.mkdtemp(prefix="tda-bench-")
        inventory = os.path.join(bench_dir, "inventory.ini")
        write_inventory(inventory, count)
        write_rules(os.path.join(bench_dir, "rules"), rules)
        wall, steps, _changed = run_playbook(bench_dir, inventory, "all")
        row = {"targets": count, "rules": rules, "wall_s": round(wall, 2)}
        row.update({step + "_s": round(seconds, 2) for step, seconds in steps.items()})
        results.append(row)
        shutil.rmtree(bench_dir)
    return results


def add_one_host(count):
    """A real Prometheus reads the rendered set; one more host changes one file and reloads nothing."""
    bench_dir = tempfile.mkdtemp(prefix="tda-bench-")
    inventory = os.path.join(bench_dir, "inventory.ini")
    write_inventory(inventory, count)
    write_rules(os.path.join(bench_dir, "rules"), 1)
    run_playbook(bench_dir, inventory, "render")
    etc = os.path.join(bench_dir, "etc")
    shutil.copy(os.path.join(etc, ".staging", "prometheus.yml"), os.path.join(etc, "prometheus.yml"))
    port = free_port()
    prometheus = subprocess.Popen([os.path.join(TOOLS, "prometheus"), "--config.file=%s/prometheus.yml" % etc,
                                   "--storage.tsdb.path=%s/data" % bench_dir,
                                   "--web.listen-address=127.0.0.1:%d" % port],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if targets(port) == count:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        reloads_before = metric(port, "prometheus_config_last_reload_success_timestamp_seconds")
        before = {name: os.path.getmtime(os.path.join(etc, "file_sd", name)) for name in os.listdir(os.path.join(etc, "file_sd"))}
        write_inventory(inventory, count + 1)
        wall, _steps, changed = run_playbook(bench_dir, inventory, "render")
        after = {name: os.path.getmtime(os.path.join(etc, "file_sd", name)) for name in os.listdir(os.path.join(etc, "file_sd"))}
        started = time.time()
        seen = None
        while time.time() < started + 60:
            if targets(port) == count + 1:
                seen = round(time.time() - started, 2)
                break
            time.sleep(0.2)
        return {"targets_before": count, "targets_after": count + 1, "render_wall_s": round(wall, 2),
                "tasks_changed": changed,
                "file_sd_files_changed": sorted(n for n in after if after[n] != before.get(n)),
                "reloads": 0 if metric(port, "prometheus_config_last_reload_success_timestamp_seconds") == reloads_before
                else 1,
                "new_target_seen_after_s": seen}
    finally:
        prometheus.terminate()
        prometheus.wait()
        shutil.rmtree(bench_dir)


def main():
    counts = [int(n) for n in os.environ.get("BENCH_TARGETS", "1000,10000").split(",")]
    rules = int(os.environ.get("BENCH_RULES", "500"))
    out = {"scale": scale(counts, rules), "add_one_host": add_one_host(counts[0])}
    print("\n%-8s %-6s %9s %9s %7s %9s" % ("targets", "rules", "wall s", "render s", "lint s", "validate s"))
    for row in out["scale"]:
        fields = (row["targets"], row["rules"], row["wall_s"], row.get("render_s", 0), row.get("lint_s", 0),
                  row.get("validate_s", 0))
        print("%-8d %-6d %9.2f %9.2f %7.2f %9.2f" % fields)
    one = out["add_one_host"]
    print("\nadd one host to %d: file_sd files changed %s, tasks changed %s, reloads %d, "
          "new target active after %ss" % (one["targets_before"], one["file_sd_files_changed"],
                                           one["tasks_changed"], one["reloads"], one["new_target_seen_after_s"]))
    return out


if __name__ == "__main__":
    figures = main()
    path = os.path.join(ROOT, "artifacts", "bench-scale.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(figures, handle, indent=2)
    print("figures written to %s" % path)
