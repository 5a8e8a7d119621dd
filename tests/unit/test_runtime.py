"""meta/runtime.yml: the Ansible it claims is the one we test, and its action group lets a
user give the API modules their credentials once, with module_defaults."""
import os
import re
import subprocess
import sys
import textwrap

import yaml
from ansible.release import __version__ as ansible_core_version

from conftest import COLLECTIONS, ROOT

RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())


def test_requires_ansible_is_the_floor_we_test():
    floor = re.fullmatch(r">=(\d+)\.(\d+)\.0", RUNTIME["requires_ansible"])
    assert floor, RUNTIME["requires_ansible"]
    assert tuple(int(part) for part in floor.groups()) == tuple(int(p) for p in ansible_core_version.split(".")[:2])


def test_the_api_group_holds_every_module_that_talks_to_a_daemon_api():
    talking = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py")
                     if "- tda.monitoring.api\n" in path.read_text())
    assert talking and sorted(RUNTIME["action_groups"]["api"]) == talking


def test_module_defaults_of_the_group_reach_the_module(tmp_path, systemd, health):
    """service_ready signs in to /secure/-/ready with credentials given once for the group; without
    them the same task is refused (401)."""
    stubs, set_state, _log = systemd
    set_state("enabled", "active")
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent("""\
        - hosts: localhost
          connection: local
          gather_facts: false
          module_defaults:
            group/tda.monitoring.api: {url_username: admin, url_password: "{{ secret }}"}
          tasks:
            - name: Ready behind basic auth
              tda.monitoring.service_ready: {unit: prometheus, url: "%s/secure/-/ready", wait: 2}
        """ % health))
    # the module runs on localhost with the stand-in systemctl first on its PATH
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               PATH=stubs + os.pathsep + os.environ["PATH"])

    def run(secret):
        return subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook), "-e", "secret=" + secret],
                              capture_output=True, text=True, env=env, check=False, cwd=str(tmp_path))
    signed_in = run("s3cret")
    assert signed_in.returncode == 0, signed_in.stdout[-2000:]
    refused = run("wrong")
    assert refused.returncode != 0 and "401" in refused.stdout, refused.stdout[-2000:]
