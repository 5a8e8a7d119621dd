"""tda.monitoring.tls_proxy from Debian's nginx package (Debian 12 and 13) in front of Prometheus's
own /metrics: TLS from the internal CA and basic auth, scraped by Prometheus through it; Debian's
nginx.service left off; a set nginx -t refuses never replaces the live one; a new user is a
verified reload, never a restart."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared"))
from scenario import changed_task_names, changed_tasks, converge, get_json, wait_for  # noqa: E402  pylint: disable=wrong-import-position

PROXY = "https://127.0.0.1:9443/metrics"


def status(host, *curl):
    """The HTTP status of one curl request from inside the host."""
    return host.run("curl -s -o /dev/null -w '%%{http_code}' %s" % " ".join(curl)).stdout.strip()


PROXY_ON = ("-e", "scenario_proxy=true")


def test_deployed_then_a_second_run_changes_nothing(host):
    rc, out = converge(*PROXY_ON)
    assert rc == 0, out[-3000:]
    rc, out = converge(*PROXY_ON)
    assert rc == 0 and changed_tasks(out) == 0, changed_task_names(out)


def test_tls_and_credentials_wanted(host):
    # the CA the proxy's certificate chains to: the one Prometheus was given
    ca = host.run("ls /etc/prometheus/secrets/ | grep tls-proxy_tls_config_ca").stdout.split()
    assert ca, "no CA file for the tls-proxy job"
    ca_file = "/etc/prometheus/secrets/" + ca[0]
    assert status(host, "--cacert", ca_file, PROXY) == "401"
    assert status(host, "--cacert", ca_file, "-u", "scraper:wrong", PROXY) == "401"
    assert status(host, "--cacert", ca_file, "-u", "scraper:proxy-pw-3f1a", PROXY) == "200"
    body = host.run("curl -fsS --cacert %s -u scraper:proxy-pw-3f1a %s" % (ca_file, PROXY)).stdout
    assert "# TYPE prometheus_build_info" in body
    plain = status(host, "-u", "scraper:proxy-pw-3f1a", "http://127.0.0.1:9443/metrics")
    assert not plain.startswith("2"), plain


def test_prometheus_scrapes_through_it_and_debian_nginx_stays_off(host):
    def proxied_up():
        targets = get_json(host, "http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "tls-proxy" and t["health"] == "up"]
    assert wait_for(proxied_up)
    assert host.run("systemctl is-active nginx").stdout.strip() != "active"
    assert host.run("systemctl is-enabled nginx").stdout.strip() == "disabled"
    assert host.run("systemctl show -P User tls_proxy").stdout.strip() == "tls-proxy"
    assert host.file("/etc/tls_proxy/tls.key").mode == 0o640
    # the role's default cost
    assert host.file("/etc/tls_proxy/htpasswd").content_string.startswith("scraper:$2b$12$")


def test_a_set_nginx_refuses_is_never_swapped_in(host):
    ca_file = "/etc/prometheus/secrets/" + host.run("ls /etc/prometheus/secrets/ | grep tls-proxy_tls_config_ca").stdout.split()[0]
    live = host.run("sha256sum /etc/tls_proxy/nginx.conf /etc/tls_proxy/htpasswd /etc/tls_proxy/tls.crt").stdout
    bad = '{"tls_proxy_backends": [{"name": "prometheus", "listen": "0.0.0.0:99999", "backend": "http://127.0.0.1:9090"}]}'
    # Prometheus's own change swaps in earlier in the same play: its result must not make the proxy's
    # rescue restore anything (it once did, and removed the live nginx.conf)
    rc, out = converge(*PROXY_ON, "-e", "scenario_scrape_interval=6s", "-e", bad)
    assert rc != 0
    assert "nothing broken was left in place" in out and "99999" in out, out[-3000:]
    assert "scrape_interval: 6s" in get_json(host, "http://127.0.0.1:9090/api/v1/status/config")["data"]["yaml"]
    assert host.run("sha256sum /etc/tls_proxy/nginx.conf /etc/tls_proxy/htpasswd /etc/tls_proxy/tls.crt").stdout == live
    assert status(host, "--cacert", ca_file, "-u", "scraper:proxy-pw-3f1a", PROXY) == "200"


def test_a_new_user_and_a_new_cost_are_a_verified_reload_not_a_restart(host):
    main_pid = host.run("systemctl show -P MainPID tls_proxy").stdout.strip()
    rc, out = converge(*PROXY_ON, "-e", '{"scenario_proxy_users": {"scraper": "proxy-pw-3f1a", "second": "proxy-pw-9c2e"}}',
                       "-e", "tls_proxy_bcrypt_cost=8")
    assert rc == 0, out[-3000:]
    assert host.run("systemctl show -P MainPID tls_proxy").stdout.strip() == main_pid, "the proxy was restarted"
    changed = changed_task_names(out)
    assert any("Activate | reload and verify: tls_proxy" in name for name in changed), changed
    ca_file = "/etc/prometheus/secrets/" + host.run("ls /etc/prometheus/secrets/ | grep tls-proxy_tls_config_ca").stdout.split()[0]
    assert status(host, "--cacert", ca_file, "-u", "second:proxy-pw-9c2e", PROXY) == "200"
    assert status(host, "--cacert", ca_file, "-u", "scraper:proxy-pw-3f1a", PROXY) == "200"
    hashes = host.file("/etc/tls_proxy/htpasswd").content_string.split()
    assert sorted(line.split(":", 1)[0] for line in hashes) == ["scraper", "second"]
    assert all(line.split(":", 1)[1].startswith("$2b$08$") for line in hashes), hashes
