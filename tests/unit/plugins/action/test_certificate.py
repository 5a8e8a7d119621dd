"""tda.monitoring.certificates through a real ansible-playbook run on the controller: the internal CA
issues, keeps and (in check mode) writes nothing; a certificate of the user's own that is wrong is
refused naming the host and the variables; the key is in no output, even with -vvv."""
import os
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.tda.monitoring.plugins.plugin_utils import pki

ROOT = Path(__file__).resolve().parents[4]


def play(tmp_path, variables, *extra):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "all", "gather_facts": False, "vars": variables,
        "roles": [{"role": "tda.monitoring.certificates"}],
        "tasks": [{"name": "the certificate's names", "ansible.builtin.copy": {
            "content": "{{ certificates_tls.cert }}", "dest": str(tmp_path / "{{ inventory_hostname }}.pem")}}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_LOCALHOST_WARNING="False")
    proc = subprocess.run(["ansible-playbook", "-i", "mon1,", "-c", "local", "-e", "ansible_host=tda-lab-mon1",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)] + list(extra),
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_issued_covering_the_scrape_address_and_never_shown(tmp_path):
    pki_dir = tmp_path / "pki"
    rc, out = play(tmp_path, {"certificates_pki_dir": str(pki_dir)}, "-vvv", "--diff")
    assert rc == 0, out
    key = (pki_dir / "hosts" / "mon1.key").read_text()
    assert key.strip().splitlines()[1] not in out
    cert = pki.x509.load_pem_x509_certificate((tmp_path / "mon1.pem").read_text().encode())
    assert {"mon1", "tda-lab-mon1", "localhost", "127.0.0.1"} <= pki.cert_names(cert)
    # a second run issues nothing
    rc, out = play(tmp_path, {"certificates_pki_dir": str(pki_dir)})
    assert rc == 0 and "changed=0" in out, out


def test_check_mode_writes_nothing(tmp_path):
    rc, out = play(tmp_path, {"certificates_pki_dir": str(tmp_path / "pki")}, "--check")
    assert rc == 0, out
    assert not (tmp_path / "pki").exists()


def test_a_wrong_certificate_of_ones_own_is_refused_naming_host_and_variables(tmp_path):
    ca = pki.InternalCA(str(tmp_path / "ca"), "theirs")
    ca.lock().close()
    ca.load()
    cert, _key, _why = ca.host("mon1", ["mon1"])
    other_key = ca.host("other", ["other"])[1]
    rc, out = play(tmp_path, {"certificates_user_cert": cert, "certificates_user_key": other_key,
                              "certificates_user_ca": ca.cert_pem})
    assert rc != 0
    assert "mon1's certificate of your own (certificates_user_cert, _key, _ca)" in out
    assert "the key is not the key of the certificate" in out
    assert "do not cover tda-lab-mon1" in out
    assert other_key.strip().splitlines()[1] not in out
