"""prometheus_config: the prometheus role's configuration builder, checked by Debian's promtool."""
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.prometheus_config import prometheus_config, prometheus_feature_flags

SECRETS = "/etc/prometheus/secrets"
FILE_SD = "/etc/prometheus/file_sd"


def build(**parts):
    return prometheus_config(parts, SECRETS, FILE_SD)


def test_sections_in_the_order_prometheus_documents_them():
    out = build(**{"global": {"scrape_interval": "15s"}}, alertmanagers=["am1:9093"],
                scrape_jobs=[{"job_name": "node"}], remote_write=[{"url": "https://store/api/v1/write"}])
    assert list(out["data"]) == ["global", "alerting", "rule_files", "scrape_configs", "remote_write"]
    assert out["data"]["alerting"] == {"alertmanagers": [{"static_configs": [{"targets": ["am1:9093"]}]}]}
    assert out["data"]["rule_files"] == ["rules/*.yml"]
    assert out["files"] == []


def test_external_labels_and_the_replica_of_an_ha_member():
    out = build(external_labels={"cluster": "tda"}, replica_label="replica", replica="mon-2")
    assert out["data"]["global"] == {"external_labels": {"cluster": "tda", "replica": "mon-2"}}
    # outside a pair: no replica label, and no empty external_labels either
    assert build(replica_label="replica", replica="")["data"]["global"] == {}


def test_agent_mode_has_neither_rules_nor_alerting():
    out = build(agent_mode=True, alertmanagers=["am1:9093"])
    assert "alerting" not in out["data"] and "rule_files" not in out["data"]


def test_raw_jobs_then_file_sd_jobs_then_probe_jobs():
    out = build(scrape_configs=[{"job_name": "raw", "static_configs": [{"targets": ["x:1"]}]}],
                scrape_jobs=[{"job_name": "node", "config": {"scrape_interval": "30s"}}],
                probe_jobs=[{"job_name": "probe", "targets": ["https://tda.example"]}], blackbox_exporter="bb:9115")
    jobs = out["data"]["scrape_configs"]
    assert [job["job_name"] for job in jobs] == ["raw", "node", "probe"]
    assert jobs[1] == {"job_name": "node", "file_sd_configs": [{"files": [FILE_SD + "/node.yml"]}], "scrape_interval": "30s"}
    assert jobs[2]["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "bb:9115"}


def test_every_http_secret_moves_to_a_file_named_after_its_job():
    out = build(scrape_configs=[{"job_name": "api", "basic_auth": {"username": "u", "password": "scrape-pw"}}],
                scrape_jobs=[{"job_name": "node", "config": {"authorization": {"credentials": "node-token"}}}],
                remote_write=[{"url": "u", "basic_auth": {"username": "rw", "password": "rw-pw"}}],
                remote_read=[{"url": "u", "bearer_token": "rr-token"}])
    text = repr(out["data"])
    for secret in ("scrape-pw", "node-token", "rw-pw", "rr-token"):
        assert secret not in text
    assert {f["path"]: f["content"] for f in out["files"]} == {
        SECRETS + "/scrape_api_basic_auth_u_password": "scrape-pw",
        SECRETS + "/scrape_node_authorization_credentials": "node-token",
        SECRETS + "/remote_write_0_basic_auth_rw_password": "rw-pw",
        SECRETS + "/remote_read_0_bearer_token": "rr-token"}
    assert out["data"]["scrape_configs"][0]["basic_auth"] == {
        "username": "u", "password_file": SECRETS + "/scrape_api_basic_auth_u_password"}


def test_a_job_added_in_front_renames_no_secret_file():
    job = {"job_name": "api", "basic_auth": {"username": "u", "password": "pw"}}
    before = build(scrape_configs=[job])["files"]
    after = build(scrape_configs=[{"job_name": "first", "static_configs": []}, job])["files"]
    assert before == after


def test_env_placeholder_is_refused_naming_where():
    with pytest.raises(AnsibleFilterError, match=r"scrape.api.basic_auth.password holds \$\{API_PW\}"):
        build(scrape_configs=[{"job_name": "api", "basic_auth": {"password": "${API_PW}"}}])


def test_job_name_given_twice_is_refused_naming_both():
    with pytest.raises(AnsibleFilterError, match=r"scrape jobs 1 and 2 are both named 'node'"):
        build(scrape_configs=[{"job_name": "node"}], scrape_jobs=[{"job_name": "node"}])


def test_job_without_a_name_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"scrape job 0 has no job_name"):
        build(scrape_configs=[{"static_configs": []}])


def test_input_that_is_not_a_dict_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"expects a dict"):
        prometheus_config(["global"], SECRETS, FILE_SD)


def test_promtool_accepts_what_it_builds(tmp_path, promtool):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    out = prometheus_config(
        {"global": {"scrape_interval": "15s", "evaluation_interval": "15s"}, "external_labels": {"cluster": "tda"},
         "replica_label": "replica", "replica": "mon-1", "alertmanagers": ["am1:9093", "am2:9093"],
         "scrape_configs": [{"job_name": "api", "static_configs": [{"targets": ["api:8000"]}],
                             "basic_auth": {"username": "u", "password": "pw"}}],
         "scrape_jobs": [{"job_name": "node"}],
         "probe_jobs": [{"job_name": "probe", "targets": ["https://tda.example"]}], "blackbox_exporter": "bb:9115",
         "remote_write": [{"url": "https://store/api/v1/write", "basic_auth": {"username": "rw", "password": "p"}}]},
        str(secrets), str(tmp_path / "file_sd"))
    for item in out["files"]:
        with open(item["path"], "w") as handle:
            handle.write(item["content"])
    (tmp_path / "file_sd").mkdir()
    (tmp_path / "file_sd" / "node.yml").write_text("[]\n")
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(out["data"], sort_keys=False))
    proc = subprocess.run([promtool, "check", "config", "--syntax-only", str(config)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_new_scrape_user_gets_a_password_file_beside_the_old_users():
    """A rotation: the running prometheus.yml keeps reading the old user's file until the reload."""
    def files(user, password):
        return build(scrape_configs=[{"job_name": "api", "basic_auth": {"username": user, "password": password}}])["files"]
    old, new = files("scraper", "old-pw"), files("scraper-2", "new-pw")
    assert [f["path"] for f in old] == [SECRETS + "/scrape_api_basic_auth_scraper_password"]
    assert [f["path"] for f in new] == [SECRETS + "/scrape_api_basic_auth_scraper-2_password"]
    assert files("a b/../c", "pw")[0]["path"] == SECRETS + "/scrape_api_basic_auth_a-b-..-c_password"


def test_alertmanager_http_config_and_inline_tls_move_to_files():
    from ansible_collections.tda.monitoring.plugins.filter.prometheus_config import prometheus_config, prometheus_feature_flags
    built = prometheus_config({
        "alertmanagers": ["am1:9093"],
        "alertmanager_http_config": {"scheme": "https", "tls_config": {"ca": "PEM-CA"},
                                     "basic_auth": {"username": "prometheus", "password": "pw"}},
        "scrape_jobs": [{"job_name": "node", "config": {"scheme": "https", "tls_config": {"ca": "PEM-CA", "server_name": "x"}}}],
    }, "/s", "/f")
    entry = built["data"]["alerting"]["alertmanagers"][0]
    assert entry["scheme"] == "https" and entry["static_configs"] == [{"targets": ["am1:9093"]}]
    assert entry["tls_config"] == {"ca_file": "/s/alertmanagers_0_tls_config_ca"}
    assert entry["basic_auth"] == {"username": "prometheus", "password_file": "/s/alertmanagers_0_basic_auth_prometheus_password"}
    job = built["data"]["scrape_configs"][0]
    assert job["tls_config"] == {"ca_file": "/s/scrape_node_tls_config_ca", "server_name": "x"}
    assert {f["path"]: f["content"] for f in built["files"]} == {
        "/s/alertmanagers_0_tls_config_ca": "PEM-CA", "/s/alertmanagers_0_basic_auth_prometheus_password": "pw",
        "/s/scrape_node_tls_config_ca": "PEM-CA"}


def test_a_key_outside_tls_config_stays():
    from ansible_collections.tda.monitoring.plugins.filter.prometheus_config import prometheus_config, prometheus_feature_flags
    built = prometheus_config({"scrape_configs": [{"job_name": "j", "params": {"key": ["v"]}}]}, "/s", "/f")
    assert built["data"]["scrape_configs"][0]["params"] == {"key": ["v"]} and built["files"] == []


def test_an_ha_member_drops_its_replica_label_from_alerts_only():
    from ansible_collections.tda.monitoring.plugins.filter.prometheus_config import prometheus_config, prometheus_feature_flags
    member = prometheus_config({"alertmanagers": ["am1:9093"], "replica": "prom1", "replica_label": "replica",
                                "external_labels": {"cluster": "c"}}, "/s", "/f")["data"]
    assert member["global"]["external_labels"] == {"cluster": "c", "replica": "prom1"}
    assert member["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    single = prometheus_config({"alertmanagers": ["am1:9093"]}, "/s", "/f")["data"]
    assert "alert_relabel_configs" not in single["alerting"]


# Prometheus 3 and the newer blocks (#21 item 4): each part, where the version reads it
NEWER_PARTS = {"scrape_config_files": ["/etc/prometheus/scrape.d/*.yml"], "out_of_order_time_window": "30m",
               "config_extra": {"tracing": {"endpoint": "127.0.0.1:4317", "insecure": True},
                                "otlp": {"promote_resource_attributes": ["service.instance.id"]}}}


@pytest.mark.parametrize("version, parts", [
    ("2.42.0", ["out_of_order_time_window"]),
    ("3.5.3", list(NEWER_PARTS)),
])
def test_the_newer_blocks_are_where_prometheus_reads_them_and_promtool_accepts_them(tmp_path, promtools, version, parts):
    chosen = {part: NEWER_PARTS[part] for part in parts}
    data = build(version=version, scrape_jobs=[{"job_name": "node"}], **chosen)["data"]
    assert data["storage"] == {"tsdb": {"out_of_order_time_window": "30m"}}
    assert ("scrape_config_files" in data) == ("scrape_config_files" in parts)
    if "config_extra" in parts:
        assert data["tracing"]["endpoint"] == "127.0.0.1:4317" and data["otlp"]
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = subprocess.run([promtools[version], "check", "config", "--syntax-only", str(config)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("part, version, needs", [
    ("scrape_config_files", "2.43.0", None),
    ("scrape_config_files", "2.42.0", "prometheus_scrape_config_files needs Prometheus 2.43.0 or later, and 2.42.0 will be installed"),
    ("out_of_order_time_window", "2.38.0", "prometheus_out_of_order_time_window needs Prometheus 2.39.0"),
    ("out_of_order_time_window", "", None),
    ("scrape_config_files", "unknown", None),
])
def test_a_block_the_version_cannot_read_is_refused_naming_the_variable(part, version, needs):
    if needs is None:
        assert build(version=version, **{part: NEWER_PARTS[part]})["data"][part if part != "out_of_order_time_window" else "storage"]
        return
    with pytest.raises(AnsibleFilterError) as error:
        build(version=version, **{part: NEWER_PARTS[part]})
    assert needs in str(error.value) and "Nothing was changed" in str(error.value)


def test_an_extra_block_the_role_builds_is_refused_naming_the_variable_to_set():
    with pytest.raises(AnsibleFilterError, match="prometheus_config_extra sets global, remote_write.*prometheus_global"):
        build(config_extra={"remote_write": [], "global": {}})
    with pytest.raises(AnsibleFilterError, match="storage.*prometheus_out_of_order_time_window"):
        build(out_of_order_time_window="10m", config_extra={"storage": {"exemplars": {"max_exemplars": 10}}})
    # without the window, storage is the user's
    assert build(config_extra={"storage": {"exemplars": {"max_exemplars": 10}}})["data"]["storage"]["exemplars"]


def test_native_histograms_flag_and_its_floor():
    assert prometheus_feature_flags("2.42.0", True) == ["--enable-feature=native-histograms"]
    assert prometheus_feature_flags("", True) == ["--enable-feature=native-histograms"]
    assert prometheus_feature_flags("3.5.3", False) == []
    with pytest.raises(AnsibleFilterError, match="prometheus_native_histograms needs Prometheus 2.40.0 or later, and 2.39.1"):
        prometheus_feature_flags("2.39.1", True)


@pytest.mark.parametrize("version", ["2.42.0", "3.5.3"])
def test_prometheus_starts_with_the_flags_and_blocks_it_is_given(tmp_path, prometheuses, version):
    """Debian's Prometheus of each version, with native histograms and the out-of-order window:
    it starts, serves, and reports the window it was given."""
    import json
    import urllib.request
    from conftest import Daemon, free_port  # noqa: E402  pylint: disable=import-error
    binary = prometheuses[version]
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(build(version=version, out_of_order_time_window="30m")["data"]))
    daemon = Daemon([str(binary), "--config.file=%s" % config, "--storage.tsdb.path=%s" % (tmp_path / "data"),
                     "--web.listen-address=127.0.0.1:%d" % port] + prometheus_feature_flags(version, True),
                    "http://127.0.0.1:%d" % port, str(tmp_path))
    try:
        with urllib.request.urlopen(daemon.url + "/api/v1/status/config", timeout=10) as response:
            loaded = yaml.safe_load(json.load(response)["data"]["yaml"])
        assert loaded["storage"]["tsdb"]["out_of_order_time_window"] == "30m"
        with urllib.request.urlopen(daemon.url + "/api/v1/status/flags", timeout=10) as response:
            assert "native-histograms" in json.load(response)["data"]["enable-feature"]
    finally:
        daemon.stop()


def test_debians_prometheus_3_has_no_otlp_receiver(prometheuses):
    """Why the role offers no OTLP receiver yet: Debian's 3.5.3 build (the only 3.x reachable here)
    knows neither --web.enable-otlp-receiver nor the otlp-write-receiver feature."""
    usage = subprocess.run([prometheuses["3.5.3"], "--help"], capture_output=True, text=True, check=False)
    assert "otlp" not in (usage.stdout + usage.stderr).lower()
