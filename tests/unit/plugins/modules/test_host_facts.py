"""host_facts: the facts setup gives, on this machine and from sample os-release files."""
import platform

from ansible_collections.tda.monitoring.plugins.modules import host_facts

BOOKWORM = {"ID": "debian", "VERSION_ID": "12", "VERSION_CODENAME": "bookworm"}


def test_agrees_with_what_this_debian_machine_is(module):
    rc, result = module("host_facts")
    assert rc == 0 and not result["changed"]
    found = result["ansible_facts"]
    assert found["os_family"] == "Debian" and found["distribution"] == "Debian"
    assert found["distribution_major_version"] == open("/etc/debian_version").read().split(".")[0]
    assert found["architecture"] == platform.machine()


def test_debian_point_release_and_other_distributions():
    assert host_facts.facts(BOOKWORM, "12.7")["distribution_version"] == "12.7"
    assert host_facts.facts(BOOKWORM, "12.7")["distribution_major_version"] == "12"
    assert host_facts.facts(BOOKWORM, "trixie/sid")["distribution_version"] == "12"
    ubuntu = host_facts.facts({"ID": "ubuntu", "VERSION_ID": "24.04", "ID_LIKE": "debian"})
    assert (ubuntu["os_family"], ubuntu["distribution"], ubuntu["distribution_major_version"]) == ("Debian", "Ubuntu", "24")
    rocky = host_facts.facts({"ID": "rocky", "VERSION_ID": "9.4", "ID_LIKE": "rhel centos fedora"})
    assert (rocky["os_family"], rocky["distribution"]) == ("RedHat", "Rocky")
    odd = host_facts.facts({"ID": "plan9", "ID_LIKE": "ubuntu"})
    assert odd["os_family"] == "Debian" and odd["distribution"] == "Plan9"
