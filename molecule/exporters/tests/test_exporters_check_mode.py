"""Check mode of the four exporters whose only configuration is their flags (the Pushgateway,
redis_exporter, postgres_exporter, nginx_exporter): a flag change to each is predicted task for
task by `--check --diff`, which touches no file and restarts nothing; the real run then
restarts each, and each serves with its new flag. blackbox_exporter's sequence (a module
change, and one only the exporter refuses) is in test_blackbox_exporter.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import assert_check_mode_predicts_the_real_run, changed_tasks, converge, wait_for  # noqa: E402  pylint: disable=wrong-import-position

# a flag each exporter's version on Debian 12 knows, and where it serves
FLAGS = {
    "pushgateway": ("--log.level=debug", "127.0.0.1:9091"),
    "redis_exporter": ("--include-system-metrics", "127.0.0.1:9121"),
    "postgres_exporter": ("--log.level=debug", "127.0.0.1:9187"),
    "nginx_exporter": ("--nginx.timeout=6s", "127.0.0.1:9113"),
}
ONLY = ["--tags", ",".join(FLAGS)]
MANAGED = ["/etc/%s" % name for name in FLAGS if name != "pushgateway"] + [
    "/etc/systemd/system/%s.service" % name for name in FLAGS]


def test_check_mode_predicts_the_restart_of_a_flag_change_to_each_exporter(host):
    change = []
    for name, (flag, _listen) in FLAGS.items():
        change += ["-e", '{"%s_extra_flags": ["%s"]}' % (name, flag)]
    check, real = assert_check_mode_predicts_the_real_run(host, ONLY + change, MANAGED, list(FLAGS))
    for name, (flag, listen) in FLAGS.items():
        assert flag in check, "the check run's diff does not show %s's new flag" % name
        assert flag in host.run("systemctl show -P ExecStart %s" % name).stdout, name
        assert "Restart | restart: %s on" % name in real, "%s was not restarted" % name
        assert wait_for(lambda listen=listen: host.run("curl -fsS http://%s/metrics" % listen).rc == 0, timeout=30), name
    rc, out = converge(*ONLY)
    assert rc == 0 and changed_tasks(out) > 0, out[-3000:]
