# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: grafana_dashboard
short_description: A Grafana dashboard (JSON model) from a short description of its panels
version_added: 0.1.0
description:
  - Builds the dashboard JSON Grafana's file provisioning reads from a dictionary with a
    title, a uid and a list of panels, each with a title, a unit and PromQL targets.
  - Every query goes to the dashboard's C(datasource) variable (type prometheus), so one
    dashboard serves every Prometheus of the inventory. Panels are laid out two per row,
    in the order given; a panel with C(row) starts a new collapsible-free row header.
  - The same input always gives the same JSON (keys sorted), so provisioning files change
    only when a dashboard does.
positional: _input
options:
  _input:
    description:
      - C(title), C(uid) (at most 40 characters), optional C(tags), C(refresh) (default 30s),
        C(time_from) (default now-6h), C(description), and C(panels) - a list of C(title),
        C(targets) (list of C(expr) and optional C(legend)), optional C(unit), C(type)
        (timeseries or stat), C(description), C(width) (1-24, default 12), C(row) (a row
        header title placed before the panel).
    type: dict
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: One dashboard file for file provisioning
  ansible.builtin.copy:
    content: "{{ lookup('ansible.builtin.file', 'tda-api.yml') | from_yaml | tda.monitoring.grafana_dashboard | to_json }}"
    dest: /var/lib/grafana/dashboards/tda/tda-api.json
    mode: "0640"
'''

RETURN = r'''
_value:
  description: The dashboard's JSON model, as a dictionary.
  type: dict
'''

from ansible.errors import AnsibleFilterError

PANEL_HEIGHT = 8
GRID_WIDTH = 24
PANEL_TYPES = ("timeseries", "stat")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _target(index, target, where):
    if not isinstance(target, dict) or not str(target.get("expr", "")).strip():
        raise AnsibleFilterError("%s: target %d needs an expr (a PromQL query)" % (where, index + 1))
    return {"datasource": DATASOURCE, "expr": str(target["expr"]).strip(),
            "legendFormat": target.get("legend", "__auto"), "refId": chr(ord("A") + index), "range": True}


def _panel(panel_id, panel, grid, where):
    panel_type = panel.get("type", "timeseries")
    if panel_type not in PANEL_TYPES:
        raise AnsibleFilterError("%s: type %r is not one of %s" % (where, panel_type, ", ".join(PANEL_TYPES)))
    targets = panel.get("targets") or []
    if not targets:
        raise AnsibleFilterError("%s: a panel needs at least one target" % where)
    defaults = {"unit": panel.get("unit", "short")}
    if panel_type == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
    return {"id": panel_id, "type": panel_type, "title": panel["title"], "description": panel.get("description", ""),
            "datasource": DATASOURCE, "gridPos": grid,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}} if panel_type == "timeseries"
            else {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                  "colorMode": "value", "graphMode": "area"},
            "targets": [_target(i, t, "%s, target %d" % (where, i + 1)) for i, t in enumerate(targets)]}


def grafana_dashboard(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError("grafana_dashboard expects a dictionary, got %s" % type(spec).__name__)
    for key in ("title", "uid", "panels"):
        if not spec.get(key):
            raise AnsibleFilterError("dashboard %r: %s is required" % (spec.get("title", spec.get("uid", "?")), key))
    if len(str(spec["uid"])) > 40:
        raise AnsibleFilterError("dashboard %r: uid %r is longer than Grafana's 40 characters" % (spec["title"], spec["uid"]))
    panels, x, y, panel_id = [], 0, 0, 1
    for index, panel in enumerate(spec["panels"]):
        where = "dashboard %r, panel %d (%s)" % (spec["title"], index + 1, panel.get("title", "no title"))
        if not panel.get("title"):
            raise AnsibleFilterError("%s: title is required" % where)
        width = int(panel.get("width", 12))
        if not 1 <= width <= GRID_WIDTH:
            raise AnsibleFilterError("%s: width %d is not within 1-24" % (where, width))
        if panel.get("row"):
            if x:
                x, y = 0, y + PANEL_HEIGHT
            panels.append({"id": panel_id, "type": "row", "title": panel["row"], "collapsed": False, "panels": [],
                           "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y}})
            panel_id, y = panel_id + 1, y + 1
        if x + width > GRID_WIDTH:
            x, y = 0, y + PANEL_HEIGHT
        panels.append(_panel(panel_id, panel, {"h": PANEL_HEIGHT, "w": width, "x": x, "y": y}, where))
        panel_id, x = panel_id + 1, x + width
    return {
        "uid": spec["uid"], "title": spec["title"], "description": spec.get("description", ""),
        "tags": list(spec.get("tags", [])), "editable": False, "graphTooltip": 1, "schemaVersion": 39,
        "refresh": spec.get("refresh", "30s"), "time": {"from": spec.get("time_from", "now-6h"), "to": "now"},
        "timezone": "", "version": 1, "links": [], "annotations": {"list": []},
        "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                 "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
                                 "options": [], "regex": ""}]},
        "panels": panels,
    }


def dashboard_queries(spec):
    """Every PromQL expression of a dashboard description, with where it is."""
    return [{"where": "%s / %s" % (spec.get("title"), panel.get("title")), "expr": str(target.get("expr", "")).strip()}
            for panel in spec.get("panels", []) for target in panel.get("targets", [])]


class FilterModule(object):
    def filters(self):
        return {"grafana_dashboard": grafana_dashboard}
