"""The controller side of file_set (large files sent only when they differ, optional files) and
release_fetch (checksums, verification, unpacking, offline), through real ansible-playbook runs
with a local connection and a release served on loopback."""
import functools
import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def playbook(tmp_path, tasks, *extra):
    book = tmp_path / "play.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + textwrap.indent(textwrap.dedent(tasks), "    "))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(book)] + list(extra),
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap(out):
    line = [l for l in out.splitlines() if l.startswith("localhost") and "ok=" in l][-1]
    return {k: int(v) for k, v in (field.split("=") for field in line.split(":", 1)[1].split())}


def test_large_file_sent_only_when_it_differs_and_optional_files(tmp_path):
    big = tmp_path / "cache" / "daemon"
    big.parent.mkdir()
    big.write_bytes(os.urandom(600 * 1024))  # over the inline limit: sent by the second round trip
    dest = tmp_path / "host" / "daemon"
    tasks = """\
        - name: Place
          tda.monitoring.file_set:
            directories: [{path: "%s"}]
            files:
              - {dest: "%s", src: "%s", mode: "0755", kind: release}
              - {dest: "%s/extra", src: "%s/not-in-this-build", optional: true}
          register: placed
        - name: Result
          ansible.builtin.copy: {content: "{{ placed | to_json }}", dest: "%s/result.json", mode: "0644"}
    """ % (dest.parent, dest, big, dest.parent, big.parent, tmp_path)
    rc, out = playbook(tmp_path, tasks)
    assert rc == 0, out
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["changed"] and result["changed_kinds"] == ["release"] and result["needs"] == []
    assert dest.read_bytes() == big.read_bytes() and not (dest.parent / "extra").exists()
    # the controller remembers the sum beside the file, and the second run sends nothing
    assert (big.parent / ".daemon.tda-sha256").read_text().split()[-1] == hashlib.sha256(big.read_bytes()).hexdigest()
    rc, out = playbook(tmp_path, tasks)
    assert rc == 0 and recap(out)["changed"] == 1, out  # only the result file is rewritten
    assert not json.loads((tmp_path / "result.json").read_text())["changed"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def release(tmp_path):
    """node_exporter-1.0.0 for amd64 in the upstream shape, a bare binary, served on loopback."""
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "node_exporter-1.0.0.linux-amd64.tar.gz"
    with tarfile.open(str(archive), "w:gz") as tar:
        data = b"#!/bin/sh\necho 'node_exporter, version 1.0.0'\n"
        info = tarfile.TarInfo("node_exporter-1.0.0.linux-amd64/node_exporter")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    (served / "cadvisor-v1.0.0-linux-amd64").write_bytes(b"bare binary")
    lines = ["%s  %s" % (hashlib.sha256(p.read_bytes()).hexdigest(), p.name) for p in sorted(served.iterdir())]
    (served / "sha256sums.txt").write_text("\n".join(lines) + "\n")
    (served / "cadvisor-v1.0.0-linux-amd64.sha256").write_text(lines[0].split()[0] + "\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def fetch_task(source, cache, files, stems, first_member, checksums_file="sha256sums.txt"):
    return """\
        - name: Fetch
          tda.monitoring.release_fetch:
            name: demo
            version: 1.0.0
            source: "%s"
            cache: "%s"
            files: %s
            stems: %s
            first_member: %s
            checksums_file: "%s"
          run_once: true
    """ % (source, cache, json.dumps(files), json.dumps(stems), first_member, checksums_file)


def test_release_fetch_downloads_verifies_unpacks_once(tmp_path, release):
    served, url = release
    cache = tmp_path / "cache"
    task = fetch_task(url, cache, ["node_exporter-1.0.0.linux-amd64.tar.gz"], ["node_exporter-1.0.0.linux-amd64"],
                      "node_exporter")
    rc, out = playbook(tmp_path, task)
    assert rc == 0 and recap(out)["changed"] == 1, out
    assert os.access(str(cache / "node_exporter-1.0.0.linux-amd64" / "node_exporter"), os.X_OK)
    rc, out = playbook(tmp_path, task)
    assert rc == 0 and recap(out)["changed"] == 0, out


def test_release_fetch_bare_binary_with_per_file_sums_and_offline(tmp_path, release):
    served, _url = release
    cache = tmp_path / "offline-cache"
    task = fetch_task("file://%s" % served, cache, ["cadvisor-v1.0.0-linux-amd64"], ["cadvisor-v1.0.0-linux-amd64.d"],
                      "cadvisor", checksums_file="{file}.sha256")
    rc, out = playbook(tmp_path, task)
    assert rc == 0, out
    assert (cache / "cadvisor-v1.0.0-linux-amd64.d" / "cadvisor").read_bytes() == b"bare binary"


def test_release_fetch_per_file_checksum_list_named_by_stem(tmp_path, release):
    """VictoriaMetrics's layout: each archive has its own <stem>_checksums.txt naming it."""
    served, url = release
    archive = "node_exporter-1.0.0.linux-amd64.tar.gz"
    line = [entry for entry in (served / "sha256sums.txt").read_text().splitlines() if entry.endswith(archive)][0]
    (served / "node_exporter-1.0.0.linux-amd64_checksums.txt").write_text(line + "\n")
    (served / "sha256sums.txt").unlink()
    cache = tmp_path / "cache"
    rc, out = playbook(tmp_path, fetch_task(url, cache, [archive], ["node_exporter-1.0.0.linux-amd64"], "node_exporter",
                                            checksums_file="{stem}_checksums.txt"))
    assert rc == 0, out
    assert os.access(str(cache / "node_exporter-1.0.0.linux-amd64" / "node_exporter"), os.X_OK)


def test_release_fetch_wrong_sum_and_missing_sum_fail_clearly(tmp_path, release):
    served, url = release
    (served / "sha256sums.txt").write_text("%s  node_exporter-1.0.0.linux-amd64.tar.gz\n" % ("0" * 64))
    cache = tmp_path / "cache"
    rc, out = playbook(tmp_path, fetch_task(url, cache, ["node_exporter-1.0.0.linux-amd64.tar.gz"],
                                            ["node_exporter-1.0.0.linux-amd64"], "node_exporter"))
    assert rc != 0 and "did not match" in out and "0" * 64 in out and "node_exporter-1.0.0.linux-amd64.tar.gz" in out
    assert not (cache / "node_exporter-1.0.0.linux-amd64.tar.gz").exists()
    rc, out = playbook(tmp_path, fetch_task(url, tmp_path / "cache2", ["node_exporter-1.0.0.linux-arm64.tar.gz"],
                                            ["node_exporter-1.0.0.linux-arm64"], "node_exporter"))
    assert rc != 0 and "no sha256 for node_exporter-1.0.0.linux-arm64.tar.gz" in out, out


def test_contents_never_echoed_at_vvv_and_secrets_not_even_in_a_diff(tmp_path):
    tasks = """\
        - name: Place
          tda.monitoring.file_set:
            files: [{dest: "%s/config.yml", content: "user: tda-marker-user\\n"}]
            secret_files: [{dest: "%s/password", content: "tda-marker-password"}]
    """ % (tmp_path, tmp_path)
    rc, out = playbook(tmp_path, tasks, "-vvv", "--diff")
    assert rc == 0, out
    # a changed file's content shows in its diff (as with the template module), and not as an
    # argument; a secret never shows
    assert "content: (22 characters, not shown)" in out and "tda-marker-password" not in out, out
    rc, out = playbook(tmp_path, tasks, "-vvv", "--diff")
    assert rc == 0 and recap(out)["changed"] == 0, out
    assert "tda-marker-user" not in out and "tda-marker-password" not in out, out
