# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts host_facts sets, from the text of /etc/os-release, /etc/debian_version and uname -m
(the module reads them on the host; its action plugin parses them on the controller)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# the names setup gives the distributions it knows by their os-release ID
NAMES = {"debian": "Debian", "ubuntu": "Ubuntu", "rhel": "RedHat", "centos": "CentOS", "fedora": "Fedora",
         "rocky": "Rocky", "almalinux": "AlmaLinux", "opensuse-leap": "openSUSE Leap", "sles": "SLES",
         "alpine": "Alpine", "arch": "Archlinux", "raspbian": "Debian", "linuxmint": "Linux Mint"}
FAMILIES = {"debian": "Debian", "ubuntu": "Debian", "linuxmint": "Debian", "raspbian": "Debian", "rhel": "RedHat",
            "centos": "RedHat", "fedora": "RedHat", "rocky": "RedHat", "almalinux": "RedHat", "sles": "Suse",
            "opensuse-leap": "Suse", "alpine": "Alpine", "arch": "Archlinux"}


def parse_os_release(text):
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values[key] = value.strip().strip('"').strip("'")
    return values


def facts(release, debian_version, machine):
    ident = release.get("ID", "").lower()
    version = release.get("VERSION_ID", "")
    if ident == "debian" and debian_version and debian_version[:1].isdigit():
        version = debian_version  # setup reads the point release (12.7) from /etc/debian_version
    family = FAMILIES.get(ident) or next((FAMILIES[like] for like in release.get("ID_LIKE", "").split()
                                          if like in FAMILIES), ident.capitalize() or "unknown")
    return {"os_family": family,
            "distribution": NAMES.get(ident, ident.capitalize() or "unknown"),
            "distribution_version": version,
            "distribution_major_version": version.split(".")[0] if version else "",
            "distribution_release": release.get("VERSION_CODENAME", ""),
            "architecture": machine}


def refusal(found, supported, problems, label=""):
    """Why this host or these parameters are refused, or None: a distribution or major version
    outside supported ({name: [majors]}), and every problem the caller found."""
    reasons = []
    if supported:
        majors = [str(major) for major in supported.get(found.get("distribution"), [])]
        if str(found.get("distribution_major_version")) not in majors:
            reasons.append("%s %s is not supported. tda.monitoring supports %s; use one of those hosts."
                           % (found.get("distribution") or "?", found.get("distribution_version") or "?",
                              "; ".join("%s %s" % (name, " and ".join(str(m) for m in versions))
                                        for name, versions in sorted(supported.items()))))
    reasons.extend(problems or [])
    if not reasons:
        return None
    return ("%s: " % label if label else "") + " ".join(reasons)
