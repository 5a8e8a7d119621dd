"""service_ready: enables and starts a unit only when needed, then waits for a real HTTP
answer (or a TCP port); systemctl and journalctl are stand-ins that record their calls."""
import socket
import time

from conftest import free_port


def test_running_and_answering_changes_nothing(module, systemd, health):
    path, set_state, log = systemd
    set_state("enabled", "active")
    rc, result = module("service_ready", path_prefix=path, unit="prometheus", url=health + "/-/ready")
    assert rc == 0 and not result["changed"], result
    assert "enable" not in log.read_text().replace("is-enabled", "") and " start " not in log.read_text()


def test_disabled_and_stopped_is_enabled_and_started(module, systemd, health):
    path, set_state, log = systemd
    set_state("disabled", "inactive")
    rc, result = module("service_ready", path_prefix=path, unit="prometheus", url=health + "/-/ready")
    assert rc == 0 and result["changed"] and result["enabled"] and result["started"], result
    calls = log.read_text().splitlines()
    assert "systemctl enable prometheus" in calls and "systemctl start prometheus" in calls


def test_check_mode_starts_nothing(module, systemd, health):
    path, set_state, log = systemd
    set_state("enabled", "inactive")
    rc, result = module("service_ready", path_prefix=path, _ansible_check_mode=True, unit="prometheus",
                        url=health + "/-/ready")
    assert rc == 0 and result["changed"] and "systemctl start prometheus" not in log.read_text()


def test_no_answer_fails_naming_unit_address_and_journal(module, systemd, health):
    path, set_state, _log = systemd
    set_state("enabled", "active")
    rc, result = module("service_ready", path_prefix=path, unit="prometheus", url=health + "/not-ready", wait=1)
    assert rc != 0 and "prometheus runs but did not answer within 1s" in result["msg"]
    assert "/not-ready" in result["msg"] and "address already in use" in result["msg"]
    port = free_port()
    rc, result = module("service_ready", path_prefix=path, unit="node_exporter", port=port, wait=1)
    assert rc != 0 and "127.0.0.1:%d" % port in result["msg"]


def test_a_daemon_that_exited_fails_at_once_without_waiting(module, systemd, health, tmp_path):
    path, set_state, _log = systemd
    set_state("enabled", "active")
    (tmp_path / "state" / "substate").write_text("auto-restart\n")
    started = time.time()
    rc, result = module("service_ready", path_prefix=path, unit="prometheus", url=health + "/not-ready", wait=20)
    assert rc != 0 and "prometheus exited instead of serving" in result["msg"], result
    assert "address already in use" in result["msg"] and time.time() - started < 10


def test_tcp_check_when_http_cannot_be_asked(module, systemd):
    path, set_state, _log = systemd
    set_state("enabled", "active")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        rc, result = module("service_ready", path_prefix=path, unit="node_exporter", port=listener.getsockname()[1])
    assert rc == 0 and not result["changed"], result


def test_a_new_unit_is_read_and_restarted(module, systemd, health):
    path, set_state, log = systemd
    set_state("enabled", "active")
    rc, result = module("service_ready", path_prefix=path, unit="prometheus", url=health + "/-/ready",
                        daemon_reload=True, restart=True)
    assert rc == 0 and result["changed"] and result["started"], result
    calls = log.read_text().splitlines()
    assert calls.index("systemctl daemon-reload") < calls.index("systemctl restart prometheus")
