#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: prometheus_validate
short_description: Validate a Prometheus configuration, its rule files and rule unit tests with promtool
version_added: 0.1.0
description:
  - Runs C(promtool check config) on O(config_file), which also checks every rule file the
    configuration references, then C(promtool test rules) on each file of O(rule_tests).
  - Judges by exit code B(and) by output. C(promtool) prints some lint findings (duplicate
    rules) as C(FAILED) yet exits 0; those fail here too.
  - Never changes anything; runs the same in check mode.
  - Run it with the permissions of the user Prometheus runs as (C(become_user)) to catch a
    file Prometheus could not read.
options:
  config_file:
    description: Path of the prometheus.yml to check.
    type: path
    required: true
  rule_tests:
    description: promtool rule unit-test files to run (C(promtool test rules)).
    type: list
    elements: path
    default: []
  promtool:
    description:
      - Path of promtool. By default found on C(PATH) or beside the installed prometheus
        (C(/usr/local/bin), C(/usr/bin)).
    type: path
  lint:
    description: Rule lint checks passed to C(promtool check config --lint); findings fail the task.
    type: str
    choices: [all, duplicate-rules, none]
    default: duplicate-rules
  agent:
    description: Check the configuration for Prometheus in agent mode (C(--agent), promtool 2.38 and later).
    type: bool
    default: false
extends_documentation_fragment:
  - tda.monitoring.referenced_files
attributes:
  check_mode:
    description: In check mode it reports what it would do and changes nothing.
    support: full
  diff_mode:
    description: With --diff it shows the state before and after.
    support: none
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Validate the staged configuration as the prometheus user
  tda.monitoring.prometheus_validate:
    config_file: /etc/prometheus/.staging/prometheus.yml
    rule_tests:
      - /etc/prometheus/.staging/tests/alerts_test.yml
  become: true
  become_user: prometheus

- name: Ad hoc, from a shell
  ansible.builtin.debug:
    msg: ansible localhost -m tda.monitoring.prometheus_validate -a config_file=/etc/prometheus/prometheus.yml
'''

RETURN = r'''
errors:
  description: What promtool found; empty when valid.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: File the error is in.
      type: str
    line:
      description: Line in that file, where promtool gives one.
      type: int
    column:
      description: Column, where promtool gives one.
      type: int
    message:
      description: promtool's message.
      type: str
  sample: [{file: rules.yml, line: 5, column: 15, message: 'rules.yml: 5:15: group "g", rule 1, "A": could not parse expression'}]
rule_files:
  description: The rule files promtool checked through the configuration.
  returned: always
  type: list
  elements: str
tests_run:
  description: The rule unit-test files that ran.
  returned: always
  type: list
  elements: str
promtool:
  description: The promtool that ran and its version line.
  returned: always
  type: str
  sample: "/usr/bin/promtool (promtool, version 2.42.0)"
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.checkers import (
    find_tool, format_errors, run_checked, fail_on_unreadable_references, REFERENCE_OPTIONS)

_CHECKED_RULE_FILE = re.compile(r"^Checking (?P<file>\S+)\s*$", re.M)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_file=dict(type="path", required=True),
            rule_tests=dict(type="list", elements="path", default=[]),
            promtool=dict(type="path"),
            lint=dict(type="str", choices=["all", "duplicate-rules", "none"], default="duplicate-rules"),
            agent=dict(type="bool", default=False),
            **REFERENCE_OPTIONS
        ),
        supports_check_mode=True,
    )
    config_file = module.params["config_file"]
    promtool = find_tool(module, "promtool", module.params["promtool"], beside=["/usr/local/bin", "/usr/bin"])
    version = module.run_command([promtool, "--version"])[1].splitlines()[:1]
    result = dict(changed=False, errors=[], rule_files=[], tests_run=[],
                  promtool="%s (%s)" % (promtool, version[0].strip() if version else "unknown version"))

    if not os.path.isfile(config_file):
        module.fail_json(msg="%s does not exist; render the configuration there before validating it" % config_file,
                         **result)

    argv = [promtool, "check", "config", "--lint=%s" % module.params["lint"]]
    if module.params["agent"]:
        argv.append("--agent")
    ok, errors, transcript = run_checked(module, argv + [config_file], config_file,
                                         cwd=os.path.dirname(config_file) or None)
    result["rule_files"] = [f for f in _CHECKED_RULE_FILE.findall(transcript) if f != config_file]
    if not ok:
        result["errors"] = errors
        module.fail_json(msg="promtool rejected %s: %s" % (config_file, format_errors(errors)),
                         transcript=transcript, **result)

    fail_on_unreadable_references(module, config_file, "Prometheus", result)

    for test_file in module.params["rule_tests"]:
        if not os.path.isfile(test_file):
            module.fail_json(msg="rule test file %s does not exist; fix the rule_tests list" % test_file, **result)
        ok, errors, transcript = run_checked(module, [promtool, "test", "rules", test_file], test_file,
                                             cwd=os.path.dirname(test_file) or None)
        result["tests_run"].append(test_file)
        if not ok:
            result["errors"] = errors
            module.fail_json(msg="rule unit tests failed in %s: %s" % (test_file, format_errors(errors)),
                             transcript=transcript, **result)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
