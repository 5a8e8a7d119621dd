#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prometheus_lint
short_description: Find defects in Prometheus rules and Alertmanager routing that promtool and amtool accept
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin) before any host is touched; it needs no promtool.
    It parses PromQL with the C(promql-parser) Python package.
  - Reports findings with file, group, rule, check id, severity, message and how to fix.
    Findings of severity C(error) fail the task; C(warning) findings are returned.
  - "Checks: C(promql-parse); C(histogram-quantile-no-rate) and C(histogram-quantile-drops-le);
    C(rate-non-counter); C(ratio-labels-mismatch) (the two sides keep different labels);
    C(ratio-self-division) (a filtered series divided by itself); C(division-unguarded) (a limit
    or size gauge that can be 0 as divisor); C(alert-label-changing-value); C(humanize-percentage-not-ratio);
    C(alert-missing-for); C(alert-severity); C(alert-annotations); C(env-placeholder)
    (C(${VAR}) in any config, never expanded); C(route-never-matches) and
    C(route-alternative-never-matches) (route matchers against the label values the rules emit);
    C(receiver-unused); C(deprecated-match); C(template-grouplabel-not-grouped)."
  - A rule turns checks off for itself with the annotation C(tda_lint_disable) (comma-separated
    ids); a run turns them off with O(disabled_checks).
options:
  rule_files:
    description: Rule files, or directories of them (C(*.yml), C(*.yaml), C(*.rules); C(*_test.yml) skipped), on the controller.
    type: list
    elements: path
    default: []
  rules:
    description: Rule groups given as data (the content of a rule file's C(groups) list).
    type: list
    elements: dict
    default: []
  prometheus_config:
    description: The Prometheus configuration, as a path on the controller or as a dict; checked for C(${VAR}) placeholders.
    type: raw
  alertmanager_config:
    description:
      - The Alertmanager configuration, as a path on the controller or as a dict. Its routes are
        checked against the label values the given rules emit.
    type: raw
  disabled_checks:
    description: Check ids to skip for this run.
    type: list
    elements: str
    default: []
  allowed_severities:
    description: Values allowed in an alert's C(severity) label (C(none) is the convention for a Watchdog heartbeat).
    type: list
    elements: str
    default: [critical, warning, info, none]
attributes:
  check_mode:
    description: It only reads, so it runs the same in check mode.
    support: full
  diff_mode:
    description: It changes nothing, so there is nothing to diff.
    support: none
  action:
    description: Runs on the controller as an action plugin.
    support: full
requirements:
  - promql-parser (Python, on the controller)
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Lint the rules and the routing before touching any host
  tda.monitoring.prometheus_lint:
    rule_files:
      - files/rules/
    alertmanager_config: "{{ alertmanager_config }}"
  run_once: true
  delegate_to: localhost

- name: Skip one check for a run
  tda.monitoring.prometheus_lint:
    rule_files: [rules/alerts.yml]
    disabled_checks: [alert-missing-for]

# In a rule: turn one check off for that rule only
# - alert: Watchdog
#   expr: vector(1)
#   annotations:
#     tda_lint_disable: alert-missing-for
'''

RETURN = r'''
findings:
  description: Every finding, errors and warnings.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: The file (or C(<rules>), C(<alertmanager_config>) for data).
      type: str
    group:
      description: Rule group, for rule findings.
      type: str
    rule:
      description: Alert or record name, for rule findings.
      type: str
    check:
      description: Check id.
      type: str
    severity:
      description: C(error) or C(warning).
      type: str
    message:
      description: What is wrong.
      type: str
    fix:
      description: How to fix it.
      type: str
error_count:
  description: Number of findings of severity error.
  returned: always
  type: int
warning_count:
  description: Number of findings of severity warning.
  returned: always
  type: int
rules_checked:
  description: Number of rules read.
  returned: always
  type: int
'''
