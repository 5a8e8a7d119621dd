"""file_set: account, directories and files in one run; a second run changes nothing; secrets
never in the result; content sent by checksum is asked for, verified, then written."""
import hashlib
import json
import os
import shutil
import socket
import stat
import tempfile


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_run_writes_second_run_confirms(tmp_path, module):
    root = tmp_path / "etc"
    args = dict(root=str(root),
                directories=[{"path": ".", "mode": "0750"}, {"path": "web", "mode": "0750"}],
                files=[{"dest": "daemon.service", "content": "[Service]\n", "kind": "unit"},
                       {"path": "web/tls.crt", "content": "CERT\n", "mode": "0644"}],
                secret_files=[{"name": "password", "content": "s3cret-value", "kind": "start"}])
    rc, result = module("file_set", _ansible_diff=True, **args)
    assert rc == 0 and result["changed"], result
    assert sorted(result["changed_kinds"]) == ["start", "unit"]
    assert sorted(result["created_kinds"]) == ["start", "unit"]  # nothing of these existed: a fresh daemon
    assert (root / "daemon.service").read_text() == "[Service]\n"
    assert (root / "password").read_text() == "s3cret-value"
    assert mode(root) == 0o750 and mode(root / "password") == 0o640 and mode(root / "web" / "tls.crt") == 0o644
    # the diff shows the directories created, the unit and the certificate, the secret file by its
    # path with a placeholder; the secret appears nowhere in the result
    shown = {d["after_header"]: d for d in result["diff"]}
    assert list(shown) == [str(root), str(root / "web"), str(root / "daemon.service"), str(root / "web/tls.crt"),
                           str(root / "password")]
    assert shown[str(root)]["before"] == "(absent)\n" and shown[str(root)]["after"] == "directory, owner root, group root, mode 0750\n"
    assert shown[str(root / "password")]["after"] == "(secret, new content not shown)\n"
    assert "s3cret-value" not in json.dumps(result)
    rc, result = module("file_set", _ansible_diff=True, **args)
    assert rc == 0 and not result["changed"] and result["updated"] == [] and result["changed_kinds"] == []
    assert "diff" not in result


def test_a_mode_change_alone_is_corrected_and_tagged(tmp_path, module):
    dest = tmp_path / "unit"
    dest.write_text("same\n")
    os.chmod(str(dest), 0o600)
    rc, result = module("file_set", files=[{"dest": str(dest), "content": "same\n", "kind": "unit"}])
    assert rc == 0 and result["changed"] and result["changed_kinds"] == ["unit"] and result["created_kinds"] == []
    assert mode(dest) == 0o644


def test_check_mode_changes_nothing(tmp_path, module):
    dest = tmp_path / "conf"
    dest.write_text("old\n")
    rc, result = module("file_set", _ansible_check_mode=True,
                        directories=[{"path": str(tmp_path / "new")}],
                        files=[{"dest": str(dest), "content": "new\n"}], absent=[str(tmp_path / "conf")])
    assert rc == 0 and result["changed"]
    assert dest.read_text() == "old\n" and not (tmp_path / "new").exists()


def test_checksum_only_content_is_asked_for_then_verified(tmp_path, module):
    payload = b"\x7fELF binary" * 1000
    wanted = hashlib.sha256(payload).hexdigest()
    dest = tmp_path / "bin" / "daemon"
    dest.parent.mkdir()
    dest.write_bytes(b"old binary")
    spec = {"dest": str(dest), "checksum": wanted, "mode": "0755", "kind": "release"}
    rc, result = module("file_set", files=[spec])
    assert rc == 0 and result["needs"] == [str(dest)] and dest.read_bytes() == b"old binary"
    staged = tmp_path / "staged"
    staged.write_bytes(b"corrupted in transit")
    rc, result = module("file_set", files=[dict(spec, staged=str(staged))])
    assert rc != 0 and str(dest) in result["msg"] and "does not match" in result["msg"]
    assert dest.read_bytes() == b"old binary"
    staged.write_bytes(payload)
    rc, result = module("file_set", files=[dict(spec, staged=str(staged))])
    assert rc == 0 and result["changed"] and result["changed_kinds"] == ["release"]
    assert dest.read_bytes() == payload and mode(dest) == 0o755
    rc, result = module("file_set", files=[spec])
    assert rc == 0 and not result["changed"] and result["needs"] == []


def test_exclusive_directories_and_absent_paths(tmp_path, module):
    sd = tmp_path / "file_sd"
    sd.mkdir()
    for name in ("node.yml", "gone.yml", ".hidden"):
        (sd / name).write_text("x\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "tls.key").write_text("k\n")
    rc, result = module("file_set", files=[{"dest": str(sd / "node.yml"), "content": "x\n"}],
                        exclusive=[str(sd)], absent=[str(tmp_path / "web"), str(tmp_path / "never-there")])
    assert rc == 0 and result["changed"]
    assert sorted(os.listdir(str(sd))) == [".hidden", "node.yml"]
    assert not (tmp_path / "web").exists()
    assert sorted(result["removed"]) == [str(sd / "gone.yml"), str(tmp_path / "web")]


def test_files_the_live_configuration_names_stay_until_it_stops_naming_them(tmp_path, module):
    """A password rotation: the new user's file is written beside the old one, which the running
    configuration still reads; once the new configuration is live, the old one goes."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    old, new = secrets / "scrape_node_basic_auth_scraper_password", secrets / "scrape_node_basic_auth_scraper-2_password"
    stale = secrets / "scrape_gone_basic_auth_scraper_password"
    old.write_text("old-pw")
    stale.write_text("x")
    live = tmp_path / "prometheus.yml"
    # a longer name that starts with the old file's path does not spare the old file
    live.write_text("password_file: %s\npassword_file: %s-copy\n" % (old, stale))
    staged = dict(secret_files=[{"dest": str(new), "content": "new-pw"}], exclusive=[str(secrets)],
                  spare_named_in=[str(live)])
    rc, result = module("file_set", _ansible_check_mode=True, **staged)
    assert rc == 0 and result["removed"] == [str(stale)] and not new.exists() and stale.exists()
    rc, result = module("file_set", **staged)
    assert rc == 0 and result["removed"] == [str(stale)]
    assert sorted(os.listdir(str(secrets))) == sorted([old.name, new.name])
    # the new configuration is live (swapped and reloaded): what it no longer names goes
    live.write_text("password_file: %s\n" % new)
    after = dict(exclusive=[str(secrets)], spare_named_in=[str(live)])
    rc, result = module("file_set", _ansible_check_mode=True, **after)
    assert rc == 0 and result["changed"] and result["removed"] == [str(old)] and old.exists()
    rc, result = module("file_set", **after)
    assert rc == 0 and result["removed"] == [str(old)] and os.listdir(str(secrets)) == [new.name]
    rc, result = module("file_set", **after)
    assert rc == 0 and not result["changed"]
    # a configuration that does not exist names nothing
    rc, result = module("file_set", exclusive=[str(secrets)], spare_named_in=[str(tmp_path / "none.yml")])
    assert rc == 0 and result["removed"] == [str(new)]


def test_account_confirmed_and_missing_account_reported_in_check_mode(tmp_path, module):
    # Debian's nobody already has no login and no home: nothing to change
    rc, result = module("file_set", account={"user": "nobody", "group": "nogroup"})
    assert rc == 0 and not result["changed"], result
    rc, result = module("file_set", _ansible_check_mode=True, account={"user": "tda-no-such-user", "group": "tda-no-such-group"})
    assert rc == 0 and result["changed"]
    rc, result = module("file_set", account={"user": "nobody", "group": "nogroup", "groups": ["tda-no-such-group"]})
    assert rc != 0 and "tda-no-such-group" in result["msg"]


def test_errors_name_the_path_and_the_fix(tmp_path, module):
    (tmp_path / "file").write_text("x")
    rc, result = module("file_set", directories=[{"path": str(tmp_path / "file")}])
    assert rc != 0 and str(tmp_path / "file") in result["msg"] and "not a directory" in result["msg"]
    rc, result = module("file_set", files=[{"dest": str(tmp_path / "missing" / "f"), "content": "x"}])
    assert rc != 0 and "list it in directories" in result["msg"]
    rc, result = module("file_set", files=[{"dest": str(tmp_path / "f"), "content": "x", "mode": "rw"}])
    assert rc != 0 and "octal" in result["msg"]


def test_command_output_is_returned(tmp_path, module):
    rc, result = module("file_set", command=["/bin/echo", "daemon, version 1.2.3"])
    assert rc == 0 and result["command_output"].startswith("daemon, version 1.2.3")
    rc, result = module("file_set", command=[str(tmp_path / "not-installed"), "--version"])
    assert rc == 0 and result["command_output"] == ""


def test_probe_runs_first_and_refuses_before_anything_changes(tmp_path, module):
    dest = tmp_path / "daemon.service"
    probe = {"command": ["/bin/echo", "prometheus, version 3.5.3 (branch: HEAD)"]}
    rc, result = module("file_set", files=[{"dest": str(dest), "content": "new\n"}], probe=probe)
    assert rc == 0 and result["probe_output"].startswith("prometheus, version 3.5.3") and dest.exists()
    dest.write_text("old\n")
    refused = dict(probe, refuse_pattern=r"version v?([3-9]|[1-9][0-9]+)\.",
                   refuse_msg="Prometheus 3.x runs here; 2.42.0 cannot read its TSDB. Nothing was changed.")
    rc, result = module("file_set", files=[{"dest": str(dest), "content": "new\n"}], probe=refused,
                        directories=[{"path": str(tmp_path / "new-dir")}])
    assert rc != 0 and not result.get("changed")
    assert "Nothing was changed" in result["msg"] and "version 3.5.3" in result["msg"]
    assert dest.read_text() == "old\n" and not (tmp_path / "new-dir").exists()
    rc, result = module("file_set", probe={"command": [str(tmp_path / "no-binary"), "--version"],
                                           "refuse_pattern": "."})
    assert rc == 0 and result["probe_output"] == ""


def test_service_state_is_reported_never_changed(tmp_path, module, systemd, health):
    path, set_state, log = systemd
    set_state("enabled", "active")
    service = {"name": "prometheus", "url": health + "/secure/-/ready", "url_username": "admin", "url_password": "s3cret"}
    rc, result = module("file_set", path_prefix=path, service=service)
    assert rc == 0 and not result["changed"]
    assert result["service"] == {"name": "prometheus", "enabled": True, "active": True, "answering": True, "ready": True,
                                 "restart_owed": False}
    assert "s3cret" not in json.dumps(result)
    rc, result = module("file_set", path_prefix=path, service=dict(service, url_password="wrong"))
    assert result["service"]["answering"] is False and result["service"]["ready"] is False
    set_state("disabled", "inactive")
    rc, result = module("file_set", path_prefix=path, service=service)
    assert rc == 0 and not result["changed"]
    assert result["service"] == {"name": "prometheus", "enabled": False, "active": False, "answering": False, "ready": False,
                                 "restart_owed": False}
    calls = log.read_text().split()
    assert "enable" not in calls and "start" not in calls and "restart" not in calls
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        set_state("static", "active")
        rc, result = module("file_set", path_prefix=path, service={"name": "node_exporter", "port": listener.getsockname()[1]})
    assert result["service"]["ready"] is True


def test_a_secret_held_inline_is_masked_in_the_diff_before_and_after(tmp_path, module):
    root = tmp_path / "etc"
    url = "https://hooks.example/T0K3N-old"
    (root).mkdir()
    (root / "alertmanager.yml").write_text("receivers:\n- url: %s\n  x: 1\n" % url)
    new_url = "https://hooks.example/T0K3N-new"
    args = dict(root=str(root), files=[{"dest": "alertmanager.yml", "mask": [url, new_url],
                                        "content": "receivers:\n- url: %s\n  x: 2\n" % new_url}])
    rc, result = module("file_set", _ansible_diff=True, **args)
    assert rc == 0 and result["changed"], result
    diff = result["diff"][0]
    assert "url: ********" in diff["before"] and "url: ********" in diff["after"]
    assert "x: 1" in diff["before"] and "x: 2" in diff["after"]
    text = json.dumps(result)
    assert "T0K3N" not in text
    assert (root / "alertmanager.yml").read_text().count(new_url) == 1


def test_an_inline_secret_changed_or_removed_is_masked_by_its_key_on_the_old_side_too(tmp_path, module):
    """mask holds the secrets the new file has; the old file's, changed or gone, are masked by the
    keys that may hold one (mask_keys)."""
    root = tmp_path / "etc"
    root.mkdir()
    (root / "alertmanager.yml").write_text(
        "receivers:\n- sns_configs:\n  - sigv4:\n      access_key: AKIA-0ld\n      secret_key: S3cret-0ld\n"
        "- url: https://hooks.example/T0K3N-gone\n")
    new = "receivers:\n- sns_configs:\n  - sigv4:\n      access_key: AKIA-n3w\n      secret_key: S3cret-n3w\n"
    args = dict(root=str(root), files=[{"dest": "alertmanager.yml", "content": new, "mask": ["AKIA-n3w", "S3cret-n3w"],
                                        "mask_keys": ["access_key", "secret_key", "url"]}])
    rc, result = module("file_set", _ansible_diff=True, **args)
    assert rc == 0 and result["changed"], result
    diff = result["diff"][0]
    assert diff["before"].count("********") == 3 and diff["after"].count("********") == 2, diff
    assert "sns_configs" in diff["before"] and "- url: ********" in diff["before"]
    text = json.dumps(result)
    for secret in ("AKIA-0ld", "S3cret-0ld", "T0K3N-gone", "AKIA-n3w", "S3cret-n3w"):
        assert secret not in text
    assert (root / "alertmanager.yml").read_text() == new


def _staged_set(tmp_path):
    """A configuration directory whose staging copy equals the live set (after a good run)."""
    root = tmp_path / "etc"
    for base in (root, root / ".staging"):
        (base / "rules").mkdir(parents=True)
        (base / "main.yml").write_text("old: 1\n")
        (base / "rules" / "a.yml").write_text("groups: []\n")
        (base / "rules" / "gone.yml").write_text("groups: []\n")
    args = dict(root=str(root),
                directories=[{"path": ".staging"}, {"path": ".staging/rules"}],
                files=[{"dest": ".staging/main.yml", "content": "old: 1\n"},
                       {"dest": ".staging/rules/a.yml", "content": "groups: []\n"},
                       {"dest": ".staging/rules/gone.yml", "content": "groups: []\n"}],
                exclusive=[".staging/rules"],
                compare_with={"staged": ".staging", "live": str(root), "managed_dirs": ["rules"]})
    return root, args


def test_check_mode_compares_the_live_set_with_a_candidate_the_real_run_would_stage(tmp_path, module):
    root, args = _staged_set(tmp_path)
    args["files"] = [{"dest": ".staging/main.yml", "content": "new: 2\n"},
                     {"dest": ".staging/rules/a.yml", "content": "groups: []\n"},
                     {"dest": ".staging/rules/b.yml", "content": "groups: [b]\n"}]
    rc, result = module("file_set", _ansible_check_mode=True, _ansible_diff=True, **args)
    assert rc == 0 and result["changed"], result
    assert result["live_differs"] == {"updated": ["main.yml", "rules/b.yml"], "removed": ["rules/gone.yml"]}
    candidate = result["candidate"]["path"]
    assert result["candidate"]["owners_missing"] == []
    assert open(os.path.join(candidate, "main.yml")).read() == "new: 2\n"
    assert sorted(os.listdir(os.path.join(candidate, "rules"))) == ["a.yml", "b.yml"]
    # the staging directory, where the real run writes, is untouched
    assert (root / ".staging" / "main.yml").read_text() == "old: 1\n"
    assert sorted(os.listdir(str(root / ".staging" / "rules"))) == ["a.yml", "gone.yml"]
    # under the paths the daemon reads, not the staging copies; the pruned file shows as removed
    assert [d["after_header"] for d in result["diff"]] == [str(root / "main.yml"), str(root / "rules" / "b.yml"),
                                                           str(root / "rules" / "gone.yml")]
    assert result["diff"][2]["after"] == "(absent)\n"
    # the real run stages the same set, and reports the same differences
    rc, real = module("file_set", **args)
    assert rc == 0 and real["live_differs"] == result["live_differs"] and "candidate" not in real
    shutil.rmtree(candidate)


def test_check_mode_without_a_difference_leaves_no_candidate(tmp_path, module):
    _root, args = _staged_set(tmp_path)
    before = set(os.listdir(tempfile.gettempdir()))
    rc, result = module("file_set", _ansible_check_mode=True, **args)
    assert rc == 0 and not result["changed"] and "candidate" not in result
    assert result["live_differs"] == {"updated": [], "removed": []}
    left = {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("tda-candidate-")}
    assert left == set()


def test_check_mode_candidate_of_a_first_install_is_roots(tmp_path, module):
    root = tmp_path / "etc"
    args = dict(root=str(root), directories=[{"path": "."}, {"path": ".staging", "group": "no-such-group-tda", "mode": "0750"}],
                files=[{"dest": ".staging/main.yml", "content": "new: 1\n", "group": "no-such-group-tda"}],
                compare_with={"staged": ".staging", "live": str(root)})
    rc, result = module("file_set", _ansible_check_mode=True, **args)
    assert rc == 0 and result["live_differs"]["updated"] == ["main.yml"], result
    assert result["candidate"]["owners_missing"] == ["no-such-group-tda"]
    candidate = result["candidate"]["path"]
    assert os.stat(os.path.join(candidate, "main.yml")).st_gid == 0 and mode(candidate) == 0o750
    assert not root.exists()
    shutil.rmtree(candidate)


def test_the_diff_shows_owner_group_and_mode_before_and_after(tmp_path, module):
    dest = tmp_path / "conf"
    dest.write_text("same\n")
    os.chmod(str(dest), 0o600)
    secret = tmp_path / "secret"
    secret.write_text("old-s3cret")
    rc, result = module("file_set", _ansible_diff=True, _ansible_check_mode=True,
                        files=[{"dest": str(dest), "content": "same\n", "mode": "0640"}],
                        secret_files=[{"dest": str(secret), "content": "new-s3cret"}])
    assert rc == 0 and result["changed"]
    assert result["diff"][0] == {"before_header": str(dest), "after_header": str(dest),
                                 "before": "owner root, group root, mode 0600\n",
                                 "after": "owner root, group root, mode 0640\n"}
    assert result["diff"][1]["before"] == "(secret, old content not shown)\n"
    assert "s3cret" not in json.dumps(result)
    assert mode(dest) == 0o600 and secret.read_text() == "old-s3cret"
