"""probe_job_config: the seed's /probe job from a plain list of targets, accepted by promtool."""
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.scrape_targets import probe_job_config


def test_probe_job_has_the_seed_relabelling_and_promtool_accepts_it(tmp_path, promtool):
    job = probe_job_config({"job_name": "blackbox", "module": "http_2xx",
                            "targets": ["https://api.tda-platform.com/health"]}, "mon-1:9115")
    assert job["metrics_path"] == "/probe" and job["params"] == {"module": ["http_2xx"]}
    assert job["relabel_configs"][0] == {"source_labels": ["__address__"], "target_label": "__param_target"}
    assert job["relabel_configs"][1] == {"source_labels": ["__param_target"], "target_label": "instance"}
    assert job["relabel_configs"][2] == {"target_label": "__address__", "replacement": "mon-1:9115"}
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"scrape_configs": [job]}))
    result = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_job_can_name_its_own_exporter_and_settings():
    job = probe_job_config({"job_name": "tcp", "module": "tcp_connect", "targets": ["db:5432"],
                            "exporter": "probe-2:9115", "config": {"scrape_interval": "1m"}}, "mon-1:9115")
    assert job["relabel_configs"][2]["replacement"] == "probe-2:9115" and job["scrape_interval"] == "1m"


def test_without_an_exporter_the_error_says_where_to_put_one():
    with pytest.raises(AnsibleFilterError, match="blackbox group"):
        probe_job_config({"job_name": "blackbox", "targets": ["https://x/health"]}, "")
