"""Sharding on the controller (#21): the shard of each Prometheus from the inventory, the targets
of each shard by Prometheus's own hashmod (checked against a real Prometheus), the guard each job
keeps, and the inventories that stop before any host changes."""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.prometheus_config import prometheus_config
from ansible_collections.tda.monitoring.plugins.filter.scrape_targets import (
    probe_job_config, prometheus_shard, scrape_job_targets, scrape_jobs_file_sd)
from ansible_collections.tda.monitoring.plugins.plugin_utils.shards import hashmod

GROUPS = {"prometheus_shard_0": ["p0a", "p0b"], "prometheus_shard_1": ["p1a", "p1b"],
          "node_exporter": ["n%02d" % i for i in range(60)]}
SHARD_GROUPS = ["prometheus_shard_0", "prometheus_shard_1"]
HOSTVARS = {name: {"ansible_host": "10.1.%d.%d" % (i // 250, i % 250)} for i, name in enumerate(GROUPS["node_exporter"])}
NODE_JOB = {"job_name": "node", "group": "node_exporter", "port": 9100}


def test_each_host_is_the_shard_of_its_group_and_nothing_without_groups():
    assert prometheus_shard("p0b", GROUPS, SHARD_GROUPS) == {"index": 0, "count": 2}
    assert prometheus_shard("p1a", GROUPS, SHARD_GROUPS, 2) == {"index": 1, "count": 2}
    assert prometheus_shard("p0a", GROUPS, []) == {}


@pytest.mark.parametrize("host, groups, count, named", [
    ("p9", GROUPS, 0, "host p9 is in none of the shard groups"),
    ("p0a", dict(GROUPS, prometheus_shard_1=["p1a", "p0a"]), 0, "host p0a is in prometheus_shard_0 and prometheus_shard_1"),
    ("p0a", dict(GROUPS, prometheus_shard_1=[]), 0, "shard group(s) prometheus_shard_1 have no host"),
    ("p0a", GROUPS, 4, "prometheus_shard_count is 4 but prometheus_shard_groups lists 2 groups"),
])
def test_an_inventory_that_does_not_shard_cleanly_is_refused_naming_what(host, groups, count, named):
    with pytest.raises(AnsibleFilterError) as error:
        prometheus_shard(host, groups, SHARD_GROUPS, count)
    assert named in str(error.value)


def test_every_target_is_in_exactly_one_shards_file_sd():
    seen = []
    for index in range(2):
        files = scrape_jobs_file_sd([NODE_JOB], GROUPS, HOSTVARS, "/sd", {"index": index, "count": 2})
        entries = json.loads(files[0]["content"])
        assert entries, "shard %d has no target of 60" % index
        assert all(hashmod(e["targets"][0], 2) == index for e in entries)
        seen += [e["targets"][0] for e in entries]
    assert sorted(seen) == sorted(e["targets"][0] for e in scrape_job_targets(NODE_JOB, GROUPS, HOSTVARS))


def test_probe_jobs_split_by_the_probed_target_and_keep_the_guard_first():
    targets = ["https://api%d.example.test/health" % i for i in range(20)]
    job = {"job_name": "blackbox", "targets": targets,
           "config": {"relabel_configs": [{"target_label": "team", "replacement": "ops"}]}}
    lists = []
    for index in range(2):
        config = probe_job_config(job, "mon1:9115", {"index": index, "count": 2})
        lists.append(config["static_configs"][0]["targets"])
        assert config["relabel_configs"][0]["action"] == "hashmod"
        assert config["relabel_configs"][1] == {"source_labels": ["__tmp_tda_shard"], "regex": str(index), "action": "keep"}
        # the probe's rewrite, then the job's own
        assert config["relabel_configs"][-1] == {"target_label": "team", "replacement": "ops"}
        assert config["relabel_configs"][-2]["replacement"] == "mon1:9115"
    assert sorted(lists[0] + lists[1]) == sorted(targets) and not set(lists[0]) & set(lists[1])


def test_the_shard_is_an_external_label_beside_the_replica():
    built = prometheus_config({"replica": "p1b", "shard": {"index": 1, "count": 2}, "scrape_jobs": [NODE_JOB]}, "/s", "/sd")
    assert built["data"]["global"]["external_labels"] == {"replica": "p1b", "shard": "1"}
    assert built["data"]["scrape_configs"][0]["relabel_configs"][0]["modulus"] == 2


def test_prometheus_keeps_exactly_the_targets_the_controller_gave_the_shard(prometheus, tmp_path):
    """Every target in one file_sd file, the shard's guard in the job: the real Prometheus keeps
    the targets our hash gives the shard and drops the others."""
    addresses = ["127.0.0.1:%d" % port for port in range(41000, 41040)]
    (tmp_path / "all.json").write_text(json.dumps([{"targets": addresses}]))
    shard = {"index": 2, "count": 3}
    job = prometheus_config({"shard": shard, "scrape_jobs": [{"job_name": "sharded", "config": {"scrape_interval": "1h"}}]},
                            "/s", str(tmp_path))["data"]["scrape_configs"][0]
    job["file_sd_configs"] = [{"files": [str(tmp_path / "all.json")]}]
    prometheus.config.write_text(yaml.safe_dump({"scrape_configs": [job]}))
    urllib.request.urlopen(urllib.request.Request(prometheus.url + "/-/reload", method="POST"), timeout=10)
    deadline = time.time() + 30
    while True:
        data = json.load(urllib.request.urlopen(prometheus.url + "/api/v1/targets", timeout=10))["data"]
        kept = sorted(t["labels"]["instance"] for t in data["activeTargets"] if t["labels"]["job"] == "sharded")
        dropped = [t for t in data["droppedTargets"] if t["discoveredLabels"].get("job") == "sharded"]
        if kept and len(kept) + len(dropped) == len(addresses) or time.time() > deadline:
            break
        time.sleep(0.5)
    assert kept == sorted(a for a in addresses if hashmod(a, 3) == 2)
    assert 0 < len(kept) < len(addresses)


ROLE_PLAY = """
- name: The prometheus role on a host of a shard inventory
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The role
      ansible.builtin.include_role:
        name: tda.monitoring.prometheus
"""


@pytest.mark.parametrize("shard_groups, said", [
    (["prometheus_shard_0"], "host localhost is in none of the shard groups (prometheus_shard_0)"),
    (["prometheus_shard_0", "prometheus_shard_1", "prometheus_shard_2"], "shard group(s) prometheus_shard_2 have no host"),
])
def test_the_role_stops_on_a_bad_shard_inventory_before_its_first_host_task(tmp_path, shard_groups, said):
    """Through ansible-playbook, in check mode: the refusal names the problem right after the
    preflight, before the role's first task on the host."""
    root = Path(__file__).resolve().parents[3]
    (tmp_path / "inventory.ini").write_text(
        "[prometheus_shard_0]\nother0\n[prometheus_shard_1]\nlocalhost\nother1\n[prometheus_shard_2]\n")
    (tmp_path / "play.yml").write_text(ROLE_PLAY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(root / "collections"), ANSIBLE_HOME=str(root / ".ansible"))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory.ini"),
                             "--check", "-e", "ansible_python_interpreter=%s" % sys.executable,
                             "-e", json.dumps({"prometheus_shard_groups": shard_groups}), str(tmp_path / "play.yml")],
                            capture_output=True, text=True, env=env, cwd=str(root), check=False)
    assert result.returncode != 0
    out = " ".join(result.stdout.split())
    assert said in out, result.stdout[-3000:]
    tasks = [line for line in result.stdout.splitlines() if line.startswith("TASK [")]
    assert "The shard of this Prometheus" in tasks[-1], tasks
