"""config_set: swap a staging set in with the previous one kept, restore it, touch nothing else."""
import os


def make(tmp_path):
    live, staging, backup = tmp_path / "live", tmp_path / "staging", tmp_path / "previous"
    for d in (live / "rules", staging / "rules", live / "file_sd"):
        d.mkdir(parents=True)
    (live / "prometheus.yml").write_text("old config\n")
    (live / "rules" / "old.yml").write_text("old rules\n")
    (live / "rules" / "kept.yml").write_text("same\n")
    (live / "file_sd" / "node.yml").write_text("targets\n")  # not part of the set
    (staging / "prometheus.yml").write_text("new config\n")
    (staging / "rules" / "kept.yml").write_text("same\n")
    (staging / "rules" / "new.yml").write_text("new rules\n")
    return dict(staging=str(staging), live=str(live), backup=str(backup), managed_dirs=["rules"])


def listing(root):
    out = {}
    for base, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(base, name)
            out[os.path.relpath(path, root)] = open(path).read()
    return out


def test_compared_and_check_mode_change_nothing(tmp_path, module):
    args = make(tmp_path)
    before = listing(args["live"])
    rc, result = module("config_set", state="compared", **args)
    assert rc == 0 and result["changed"]
    assert result["updated"] == ["prometheus.yml", "rules/new.yml"]
    assert result["removed"] == ["rules/old.yml"]
    rc, result = module("config_set", _ansible_check_mode=True, **args)
    assert rc == 0 and result["changed"]
    assert listing(args["live"]) == before


def test_swap_then_noop_then_restore(tmp_path, module):
    args = make(tmp_path)
    before = listing(args["live"])
    rc, result = module("config_set", **args)
    assert rc == 0 and result["changed"]
    after = listing(args["live"])
    assert after["prometheus.yml"] == "new config\n"
    assert "rules/old.yml" not in after and after["rules/new.yml"] == "new rules\n"
    assert after["file_sd/node.yml"] == "targets\n"
    rc, result = module("config_set", **args)
    assert rc == 0 and not result["changed"]
    rc, result = module("config_set", state="restored", **args)
    assert rc == 0 and result["changed"]
    assert listing(args["live"]) == before


def test_restore_without_backup_fails_clearly(tmp_path, module):
    args = make(tmp_path)
    rc, result = module("config_set", state="restored", **args)
    assert rc != 0 and "no previous configuration set" in result["msg"]


def test_mode_change_alone_is_a_change(tmp_path, module):
    args = make(tmp_path)
    module("config_set", **args)
    os.chmod(os.path.join(args["staging"], "prometheus.yml"), 0o600)
    rc, result = module("config_set", state="compared", **args)
    assert result["updated"] == ["prometheus.yml"]


def test_reset_stages_the_live_set_again_and_leaves_live_alone(tmp_path, module):
    args = make(tmp_path)
    live_before = listing(args["live"])
    rc, result = module("config_set", state="reset", **args)
    assert rc == 0 and result["changed"]
    staged = listing(args["staging"])
    # the staged set is the live one again: what live lacks is gone, what differs is live's
    assert staged == {"prometheus.yml": "old config\n", "rules/kept.yml": "same\n", "rules/old.yml": "old rules\n"}
    assert listing(args["live"]) == live_before
    rc, result = module("config_set", state="compared", **args)
    assert rc == 0 and not result["changed"]
    rc, result = module("config_set", state="reset", **args)
    assert rc == 0 and not result["changed"]


def test_reset_in_check_mode_changes_nothing(tmp_path, module):
    args = make(tmp_path)
    before = listing(args["staging"])
    rc, result = module("config_set", state="reset", _ansible_check_mode=True, **args)
    assert rc == 0 and result["changed"]
    assert listing(args["staging"]) == before
