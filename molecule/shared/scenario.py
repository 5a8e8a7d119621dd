"""Helpers shared by the scenarios' testinfra verifiers (test-only).

The verifiers run on the controller; these helpers run the scenario's converge again with
extra variables, as an operator would, and read the daemons' HTTP APIs from inside a host.
"""
import json
import os
import subprocess
import time


def converge(*extra, verbose=False):
    """ansible-playbook on the scenario's converge.yml and inventory; returns (rc, output)."""
    env = dict(os.environ)
    argv = ["ansible-playbook", "-i", env["MOLECULE_INVENTORY_FILE"],
            os.path.join(env["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")] + list(extra)
    if verbose:
        argv[1:1] = ["-vvv", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def get_json(host, url):
    """GET a JSON API from inside the host (curl there), so no port needs publishing."""
    result = host.run("curl -fsS -g '%s'" % url)
    assert result.rc == 0, "%s: %s" % (url, result.stderr)
    return json.loads(result.stdout)


def wait_for(check, timeout=40, interval=1):
    """Call check() until it returns something true; AssertionErrors count as not yet."""
    deadline = time.time() + timeout
    while True:
        try:
            value = check()
        except AssertionError:
            if time.time() > deadline:
                raise
            value = None
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


def secret_key_lines():
    """The base64 lines of the scenario's TLS key (molecule/shared/pki.yml made it)."""
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "server.key")) as handle:
        return [line for line in handle.read().splitlines() if line and "PRIVATE KEY" not in line]


def exposure(host, unit, debian_unit):
    """Print systemd-analyze's exposure of our unit beside Debian's unit file for the same
    daemon (analysed offline: Debian's unit is masked), and return ours as a number."""
    ours = host.run("systemd-analyze security %s --no-pager | tail -1" % unit).stdout.strip()
    print("\n%s (ours): %s" % (unit, ours))
    debian = host.run("systemd-analyze security --offline=yes /lib/systemd/system/%s.service --no-pager "
                      "2>/dev/null | tail -1" % debian_unit).stdout.strip()
    print("%s (Debian's unit): %s" % (debian_unit, debian or "n/a"))
    return float(ours.split()[-3]) if "exposure level" in ours else 10.0
