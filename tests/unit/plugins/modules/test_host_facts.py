"""host_facts: the facts setup gives, on this machine and from sample os-release files; the action
plugin's parse of its shell command agrees with the module."""
import platform
import subprocess

from ansible_collections.tda.monitoring.plugins.action.host_facts import COMMAND, parse
from ansible_collections.tda.monitoring.plugins.module_utils.os_facts import facts, refusal

BOOKWORM = {"ID": "debian", "VERSION_ID": "12", "VERSION_CODENAME": "bookworm"}


def test_agrees_with_what_this_debian_machine_is(module):
    rc, result = module("host_facts")
    assert rc == 0 and not result["changed"]
    found = result["ansible_facts"]
    assert found["os_family"] == "Debian" and found["distribution"] == "Debian"
    assert found["distribution_major_version"] == open("/etc/debian_version").read().split(".")[0]
    assert found["architecture"] == platform.machine()


def test_the_shell_command_parsed_on_the_controller_gives_the_same_facts(module):
    out = subprocess.run(["/bin/sh", "-c", COMMAND], capture_output=True, text=True, check=True).stdout
    _rc, result = module("host_facts")
    assert parse(out) == result["ansible_facts"]
    # output that is not the command's (a shell that printed something else) falls back to the module
    assert parse("Welcome!\n") is None
    assert parse("NAME=x\n--tda-host-facts--\n\n--tda-host-facts--\n") is None


def test_debian_point_release_and_other_distributions():
    assert facts(BOOKWORM, "12.7", "x86_64")["distribution_version"] == "12.7"
    assert facts(BOOKWORM, "12.7", "x86_64")["distribution_major_version"] == "12"
    assert facts(BOOKWORM, "trixie/sid", "x86_64")["distribution_version"] == "12"
    ubuntu = facts({"ID": "ubuntu", "VERSION_ID": "24.04", "ID_LIKE": "debian"}, None, "aarch64")
    assert (ubuntu["os_family"], ubuntu["distribution"], ubuntu["distribution_major_version"]) == ("Debian", "Ubuntu", "24")
    assert ubuntu["architecture"] == "aarch64"
    rocky = facts({"ID": "rocky", "VERSION_ID": "9.4", "ID_LIKE": "rhel centos fedora"}, None, "x86_64")
    assert (rocky["os_family"], rocky["distribution"]) == ("RedHat", "Rocky")
    odd = facts({"ID": "plan9", "ID_LIKE": "ubuntu"}, None, "x86_64")
    assert odd["os_family"] == "Debian" and odd["distribution"] == "Plan9"


def test_an_unsupported_host_or_unusable_parameters_are_refused_naming_why(module):
    bullseye = facts({"ID": "debian", "VERSION_ID": "11", "VERSION_CODENAME": "bullseye"}, "11.9", "x86_64")
    trixie = facts({"ID": "debian", "VERSION_ID": "13", "VERSION_CODENAME": "trixie"}, "13.1", "x86_64")
    supported = {"Debian": ["12", "13"]}
    assert refusal(trixie, supported, []) is None
    said = refusal(bullseye, supported, [], "node_exporter")
    assert said.startswith("node_exporter: Debian 11.9 is not supported") and "Debian 12 and 13" in said
    said = refusal(trixie, supported, ["install method 'archive' is not usable as configured."], "prometheus")
    assert said == "prometheus: install method 'archive' is not usable as configured."
    # the module refuses the same way, and still returns the facts it read
    this = open("/etc/debian_version").read().split(".")[0]
    rc, result = module("host_facts", supported={"Debian": [str(int(this) + 1)]}, label="node_exporter")
    assert rc != 0 and "is not supported" in result["msg"] and result["ansible_facts"]["distribution"] == "Debian"
    rc, result = module("host_facts", supported={"Debian": [this]}, problems=["offline needs its directory"])
    assert rc != 0 and result["msg"] == "offline needs its directory"
