"""The lab is production: every variable of every host of inventories/lab and of
inventories/production, with the profile's (playbooks/group_vars/) and the vault's (the lab's
committed one, production's example), is the same in both, except where the allow-list below
says why. A switch the lab turns off, or one only the lab sets, fails here."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# what may differ between the lab and production, and why: hosts, addresses, intervals, secrets
MAY_DIFFER = {
    # the connection: containers through the Docker API in the lab, SSH in production
    "ansible_connection": "the lab's hosts are containers reached through the Docker API",
    "ansible_host": "each host's address",
    "ansible_python_interpreter": "the lab's containers name their Python",
    "lab_publish": "the lab's ports published on 127.0.0.1 (lab-only)",
    "lab_mounts": "the machine's cache mounted into the lab's Flink hosts (lab-only)",
    "flink_prometheus_reporter_restart_units": "the lab lets the role restart its Flink processes; production decides (the role's default: never)",
    "ansible_local": "Ansible's own, from the containers",
    # who the environment is
    "tda_cluster": "each environment's name",
    "tda_environment": "each environment's name",
    # intervals: the lab's alerts travel in seconds
    "tda_scrape_interval": "short intervals so alerts travel in seconds",
    "tda_slow_scrape_interval": "short intervals so alerts travel in seconds",
    "tda_evaluation_interval": "short intervals so alerts travel in seconds",
    "tda_api_scrape_timeout": "below the lab's scrape interval",
    "tda_alert_group_wait": "short intervals so alerts travel in seconds",
    "tda_business_hours": "the lab's covers the whole week, so what reaches that receiver does not depend on the hour",
    # addresses: every receiver is the lab's sink, every store the lab's
    "tda_probe_targets": "each environment's endpoints",
    "tda_remote_write_url": "the lab writes to its own VictoriaMetrics on mon1",
    "tda_remote_write_username": "each store's user",
    "tda_smtp_smarthost": "the lab's sink, on mon1's loopback",
    "tda_smtp_from": "each environment's sender",
    "tda_smtp_auth_username": "each provider's user",
    "tda_smtp_ca": "the lab's sink has a certificate of the lab's CA; production's provider one of the system's CAs",
    "tda_dev_team_email": "each environment's recipient",
    "tda_pagerduty_url": "the lab's PagerDuty is the sink",
    "tda_pki_dir": "the lab's CA lives in the clone; production's in the controller's home",
    # hosts: the lab has no Grafana, Kafka or cAdvisor (no binaries here), production no store of its own
    "group_names": "each host's groups",
}
# secrets: every one the lab has, production's example has, with its own value
SECRET_PREFIX = "vault_"
# a group's variables exist only where the group has hosts: the lab's and production's may
# lack each other's, and nothing else
ONLY_WHERE_THE_GROUP_HAS_HOSTS = {
    "grafana": "no Grafana binary can be obtained here",
    "victoriametrics": "production writes to a store of its own (tda_remote_write_url)",
}


def resolved(env, tmp_path):
    """Every host's variables as Ansible resolves them for site.yml's plays (inventory, the
    profile's group_vars beside the playbooks, the vault), before templating."""
    inventory = tmp_path / env
    shutil.copytree(ROOT / "inventories" / env, inventory)
    vault = inventory / "group_vars" / "all" / "vault.yml"
    if not vault.exists():
        shutil.copy(inventory / "vault.example.yml", vault)
    listed = subprocess.run(["ansible-inventory", "-i", str(inventory), "--playbook-dir", str(ROOT / "playbooks"),
                             "--list"], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(listed.stdout)["_meta"]["hostvars"]


def group_vars_names(group):
    path = ROOT / "playbooks" / "group_vars" / (group + ".yml")
    return set(yaml.safe_load(path.read_text()) or {}) if path.exists() else set()


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inventories")
    return resolved("lab", tmp), resolved("production", tmp)


def values(hostvars):
    out = {}
    for variables in hostvars.values():
        for name, value in variables.items():
            out.setdefault(name, set()).add(json.dumps(value, sort_keys=True))
    return out


def differences(lab, production):
    """What differs between the two inventories' values and the allow-lists do not explain."""
    allowed_absent = set().union(*(group_vars_names(g) for g in ONLY_WHERE_THE_GROUP_HAS_HOSTS))
    problems = []
    for name in sorted(set(lab) | set(production)):
        if name in MAY_DIFFER or name.startswith(SECRET_PREFIX) and name in lab and name in production:
            continue
        if name not in lab or name not in production:
            if name not in allowed_absent:
                problems.append("%s is set only in %s" % (name, "the lab" if name in lab else "production"))
            continue
        if lab[name] != production[name]:
            problems.append("%s differs: lab %s, production %s" % (name, sorted(lab[name]), sorted(production[name])))
    return problems


def test_every_variable_is_productions_unless_the_allow_list_says_why(both):
    problems = differences(*(values(h) for h in both))
    assert not problems, "\n".join(problems)


def test_the_secrets_are_the_same_names(both):
    lab, production = (values(h) for h in both)
    assert {n for n in lab if n.startswith(SECRET_PREFIX)} == {n for n in production if n.startswith(SECRET_PREFIX)}


def test_the_lab_has_productions_groups():
    """The same groups (empty ones included: what cannot run here has a group with no hosts), but
    the lab's sink."""
    def groups(node):
        out = set()
        for name, child in ((node or {}).get("children") or {}).items():
            out |= {name} | groups(child)
        return out
    lab, production = (groups(yaml.safe_load((ROOT / "inventories" / env / "hosts.yml").read_text())["all"])
                       for env in ("lab", "production"))
    assert production - lab == set(), sorted(production - lab)
    assert lab - production == {"lab_sink"}, sorted(lab - production)


def test_a_switch_only_the_lab_turns_off_or_sets_otherwise_is_caught(both):
    """The check itself: the lab's old `tda_smtp_require_tls: false`, or a profile value the lab
    overrides, is reported."""
    lab, production = both
    turned_off = {host: dict(v, tda_smtp_require_tls=False) for host, v in lab.items()}
    assert differences(values(turned_off), values(production)) == ["tda_smtp_require_tls is set only in the lab"]
    overridden = {host: dict(v, prometheus_storage_retention_time="1d") for host, v in lab.items()
                  if "prometheus_storage_retention_time" in v}
    overridden.update({host: v for host, v in lab.items() if host not in overridden})
    assert [p for p in differences(values(overridden), values(production))
            if p.startswith("prometheus_storage_retention_time differs")]
