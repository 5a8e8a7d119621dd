"""The profile's Grafana dashboards (profile/dashboards/*.yml): every one builds into a valid
dashboard model, every panel query parses (promtool and promql-parser), passes prometheus_lint,
and reads only metrics the profile's recording rules or a known exporter produce
(profile/dashboards/metrics.yml, each source proven in the scenario it names)."""
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.tda.monitoring.plugins.filter.grafana_dashboard import dashboard_queries, grafana_dashboard
from ansible_collections.tda.monitoring.plugins.plugin_utils import promlint

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "profile" / "dashboards"
SPECS = {path.stem: yaml.safe_load(path.read_text()) for path in sorted(DASHBOARDS.glob("*.yml"))
         if path.name != "metrics.yml"}
QUERIES = [query for spec in SPECS.values() for query in dashboard_queries(spec)]
CATALOGUE = yaml.safe_load((DASHBOARDS / "metrics.yml").read_text())["sources"]


def recorded_names():
    groups = yaml.safe_load((ROOT / "profile" / "rules" / "recording-rules.yml").read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"]}


def metric_names(expr):
    _found, ast = promlint.lint_expression(expr)
    return {node.name for node, _parents in promlint._walk(ast)  # pylint: disable=protected-access
            if type(node).__name__ in ("VectorSelector", "MatrixSelector") and getattr(node, "name", None)}


def test_every_component_of_the_seed_has_a_dashboard():
    titles = {spec["title"] for spec in SPECS.values()}
    assert titles == {"TDA API", "TDA computations", "Kafka", "Flink", "PostgreSQL", "Redis", "Nginx",
                      "Node and system", "Prometheus and Alertmanager"}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_dashboard_model_is_valid(name):
    model = json.loads(json.dumps(grafana_dashboard(SPECS[name])))
    assert model["uid"] == SPECS[name]["uid"] and len(model["uid"]) <= 40
    ids = [panel["id"] for panel in model["panels"]]
    assert len(ids) == len(set(ids))
    for panel in model["panels"]:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    # no two panels overlap
    cells = set()
    for panel in model["panels"]:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, "%s overlaps" % panel["title"]
                cells.add((x, y))


def test_uids_are_unique():
    uids = [spec["uid"] for spec in SPECS.values()]
    assert len(uids) == len(set(uids))


COUNTERS = {name for source in CATALOGUE.values() for name in source.get("counters", [])}


@pytest.mark.parametrize("query", QUERIES, ids=[q["where"] for q in QUERIES])
def test_query_passes_prometheus_lint(query):
    found, ast = promlint.lint_expression(query["expr"])
    assert ast is not None
    # rate() over a counter named without _total is right when the exporter types it a counter
    # (metrics.yml's `counters`, each checked against the live exporter's # TYPE line)
    found = [f for f in found if not (f[0] == "rate-non-counter" and f[1].split(" over ")[1].split(",")[0] in COUNTERS)]
    assert found == [], found


def test_every_query_parses_with_promtool(tmp_path, promtool):
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": "dashboard:query_%d" % index, "expr": query["expr"]} for index, query in enumerate(QUERIES)]}]}
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_queries_read_only_known_metrics():
    known = recorded_names() | {name for source in CATALOGUE.values() for name in source["names"]}
    unknown = {(q["where"], name) for q in QUERIES for name in metric_names(q["expr"]) if name not in known}
    assert not unknown, "not a recording rule of the profile nor in profile/dashboards/metrics.yml: %s" % sorted(unknown)


def test_catalogue_lists_only_what_dashboards_read():
    used = {name for q in QUERIES for name in metric_names(q["expr"])}
    stale = {name for source in CATALOGUE.values() for name in source["names"]} - used
    assert not stale, "metrics.yml lists names no dashboard reads: %s" % sorted(stale)
