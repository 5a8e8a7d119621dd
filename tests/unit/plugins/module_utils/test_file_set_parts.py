"""The parts of file_set on their own: account, files, probe, service report, the summary."""
import os
import stat
import time

import pytest

from ansible_collections.tda.monitoring.plugins.module_utils import file_set_parts as parts
from ansible_collections.tda.monitoring.plugins.module_utils.service_state import restart_owed


class Failed(Exception):
    pass


class FakeModule(object):
    """What the parts use of AnsibleModule; run_command answers from a table and records calls."""

    def __init__(self, check_mode=False, answers=None):
        self.check_mode = check_mode
        self.answers = answers or {}
        self.calls, self.warnings = [], []

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])

    def run_command(self, argv):
        self.calls.append(list(argv))
        return self.answers.get(argv[0], (0, "", ""))

    def warn(self, text):
        self.warnings.append(text)


def test_account_in_check_mode_reports_a_missing_user_and_runs_nothing():
    module = FakeModule(check_mode=True)
    work = parts.FileSet(module)
    work.account({"user": "tda-no-such-user", "group": "tda-no-such-group", "groups": []})
    assert work.changed and module.calls == []


def test_account_refuses_a_supplementary_group_that_does_not_exist():
    work = parts.FileSet(FakeModule(check_mode=True))
    with pytest.raises(Failed, match="supplementary group 'tda-nowhere'"):
        work.account({"user": "root", "group": "root", "groups": ["tda-nowhere"]})


def test_files_written_corrected_and_removed_with_their_kinds_and_diffs(tmp_path):
    work = parts.FileSet(FakeModule())
    old = tmp_path / "old.yml"
    old.write_text("a: 1\n")
    os.chmod(str(old), 0o600)
    work.write({"dest": str(tmp_path / "unit"), "content": "[Unit]\n", "owner": "root", "group": "root",
                "mode": "0644", "kind": "unit"}, secret=False)
    work.write({"dest": str(old), "content": "a: 1\n", "owner": "root", "group": "root", "mode": "0640",
                "kind": "start"}, secret=False)
    work.write({"dest": str(tmp_path / "pw"), "content": "s3cret", "owner": "root", "group": "root",
                "mode": "0640"}, secret=True)
    work.remove(str(tmp_path / "gone"))  # nothing there: nothing to do
    (tmp_path / "stale").write_text("x")
    work.remove(str(tmp_path / "stale"))
    assert work.kinds == ["unit", "start"] and work.created_kinds == ["unit"]
    assert stat.S_IMODE(os.stat(str(old)).st_mode) == 0o640
    shown = {d["before_header"]: (d["before"], d["after"]) for d in work.diffs}
    assert shown[str(old)] == ("owner root, group root, mode 0600\n", "owner root, group root, mode 0640\n")
    assert shown[str(tmp_path / "pw")] == ("", "(secret, new content not shown)\n")
    assert shown[str(tmp_path / "stale")] == ("(file)\n", "(absent)\n")
    assert "s3cret" not in repr(work.diffs)
    said = parts.summary(work, None)
    assert said.startswith("3 written or corrected (") and "1 removed (%s)" % (tmp_path / "stale") in said
    assert said.endswith("kinds changed: unit, start")


def test_summary_of_nothing():
    assert parts.summary(parts.FileSet(FakeModule()), {"updated": [], "removed": []}) == "nothing changed"


def test_probe_refuses_with_what_the_host_said(tmp_path):
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    module = FakeModule(answers={str(tool): (0, "version 2.42.0\nmore\n", "")})
    spec = {"command": [str(tool)], "refuse_pattern": "version 2[.]", "refuse_msg": "A downgrade is refused."}
    with pytest.raises(Failed, match=r"A downgrade is refused. \(the host says: version 2.42.0\)"):
        parts.probe(module, spec)
    assert parts.probe(module, dict(spec, refuse_pattern="version 9")) == "version 2.42.0\nmore\n"
    assert parts.probe(module, None) == ""


def test_service_report_of_a_unit_that_is_not_running():
    module = FakeModule(answers={"systemctl": (3, "inactive\n", "")})
    state = parts.service_state(module, {"name": "tda-nothing", "url": None, "host": "127.0.0.1", "port": 1})
    assert state == {"name": "tda-nothing", "enabled": False, "active": False, "answering": False, "ready": False,
                     "restart_owed": False}


class SystemdShow(FakeModule):
    """systemctl show of a unit started `started_ago` seconds ago by this process, from unit_file."""

    def __init__(self, unit_file, started_ago, pid=None):
        super(SystemdShow, self).__init__()
        self.unit_file, self.started_ago, self.pid = unit_file, started_ago, os.getpid() if pid is None else pid

    def run_command(self, argv):
        self.calls.append(list(argv))
        started = int((time.monotonic() - self.started_ago) * 1e6)
        return 0, "MainPID=%d\nExecMainStartTimestampMonotonic=%d\nFragmentPath=%s\nDropInPaths=\n" % (
            self.pid, started, self.unit_file), ""


def test_a_unit_replaced_after_the_process_started_is_owed_a_restart(tmp_path):
    unit = tmp_path / "tda-demo.service"
    unit.write_text("[Service]\nExecStart=/bin/true --new-flag\n")
    assert restart_owed(SystemdShow(str(unit), started_ago=100), "tda-demo") is True


def test_a_unit_older_than_the_process_owes_nothing(tmp_path):
    unit = tmp_path / "tda-demo.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    os.utime(str(unit), (time.time() - 200, time.time() - 200))
    assert restart_owed(SystemdShow(str(unit), started_ago=100), "tda-demo") is False
    # written within the second before the restart that applied it: not newer
    os.utime(str(unit), (time.time() - 100.5, time.time() - 100.5))
    assert restart_owed(SystemdShow(str(unit), started_ago=100), "tda-demo") is False


def test_a_unit_that_is_not_running_owes_nothing(tmp_path):
    unit = tmp_path / "tda-demo.service"
    unit.write_text("[Service]\n")
    assert restart_owed(SystemdShow(str(unit), started_ago=100, pid=0), "tda-demo") is False


def test_file_options_share_one_spec():
    plain, secret = parts.file_options(secret=False), parts.file_options(secret=True)
    assert set(secret) < set(plain) and secret["content"] == {"type": "str", "required": True, "no_log": True}
    assert secret["mode"]["default"] == "0640" and plain["mode"]["default"] == "0644"
