#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: alertmanager_validate
short_description: Validate an Alertmanager configuration, its templates and its routes with amtool
version_added: 0.1.0
description:
  - Runs C(amtool check-config) on O(config_file), which parses the configuration and the
    templates it loads.
  - Then reports as errors two things amtool accepts although they are wrong. A glob in
    C(templates) that matches no file. A template name used (C({{ template "name" . }})) in
    the configuration or in a template, but defined nowhere.
  - Then runs each of O(route_tests) with C(amtool config routes test --verify.receivers);
    each label set must reach exactly the receivers listed.
  - Never changes anything; runs the same in check mode.
options:
  config_file:
    description: Path of the alertmanager.yml to check.
    type: path
    required: true
  route_tests:
    description: Label sets and the receivers each must reach, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      labels:
        description: The alert's labels.
        type: dict
        required: true
      receivers:
        description: Receivers the alert must reach, in the order the route tree reaches them.
        type: list
        elements: str
        required: true
  amtool:
    description: Path of amtool. By default found on C(PATH), C(/usr/local/bin) or C(/usr/bin).
    type: path
  default_template_dirs:
    description:
      - Directories holding Alertmanager's own default templates (Debian's build reads them
        from C(/usr/share/prometheus/alertmanager)); names defined there count as defined.
    type: list
    elements: path
    default: [/usr/share/prometheus/alertmanager]
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
- name: Validate the staged Alertmanager configuration and its routing
  tda.monitoring.alertmanager_validate:
    config_file: /etc/alertmanager/.staging/alertmanager.yml
    route_tests:
      - labels: {severity: critical, service: tda-api}
        receivers: [pagerduty, dev-team]
      - labels: {severity: info}
        receivers: [default]
'''

RETURN = r'''
errors:
  description: What was found; empty when valid.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: File the error is in.
      type: str
    line:
      description: Line, where known.
      type: int
    column:
      description: Column, where known.
      type: int
    message:
      description: What is wrong and how to fix it.
      type: str
templates:
  description: The template files the configuration's globs matched.
  returned: always
  type: list
  elements: str
route_tests:
  description: Each route test with the receivers it reached.
  returned: always
  type: list
  elements: dict
  sample: [{labels: {severity: critical}, expected: [pagerduty], got: [pagerduty], passed: true}]
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.amconfig import check_templates
from ansible_collections.tda.monitoring.plugins.module_utils.checkers import (
    find_tool, format_errors, run_checked, fail_on_unreadable_references, REFERENCE_OPTIONS)


def run_route_test(module, amtool, config_file, test):
    labels = ["%s=%s" % (k, v) for k, v in sorted(test["labels"].items())]
    expected = test["receivers"]
    rc, out, err = module.run_command(
        [amtool, "config", "routes", "test", "--config.file=%s" % config_file,
         "--verify.receivers=%s" % ",".join(expected)] + labels)
    # the first output line is the comma-separated list of receivers reached
    first = (out or "").strip().splitlines()[:1]
    got = [r.strip() for r in first[0].split(",")] if first else []
    return dict(labels=test["labels"], expected=expected, got=got, passed=(rc == 0 and got == expected),
                output=((out or "") + (err or "")).strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config_file=dict(type="path", required=True),
            route_tests=dict(type="list", elements="dict", default=[], options=dict(
                labels=dict(type="dict", required=True),
                receivers=dict(type="list", elements="str", required=True),
            )),
            amtool=dict(type="path"),
            default_template_dirs=dict(type="list", elements="path",
                                       default=["/usr/share/prometheus/alertmanager"]),
            **REFERENCE_OPTIONS
        ),
        supports_check_mode=True,
    )
    config_file = module.params["config_file"]
    result = dict(changed=False, errors=[], templates=[], route_tests=[])
    if not os.path.isfile(config_file):
        module.fail_json(msg="%s does not exist; render the configuration there before validating it" % config_file,
                         **result)
    amtool = find_tool(module, "amtool", module.params["amtool"], beside=["/usr/local/bin", "/usr/bin"])

    ok, errors, transcript = run_checked(module, [amtool, "check-config", config_file], config_file,
                                         cwd=os.path.dirname(config_file) or None)
    if not ok:
        result["errors"] = errors
        module.fail_json(msg="amtool rejected %s: %s" % (config_file, format_errors(errors)),
                         transcript=transcript, **result)

    errors, result["templates"] = check_templates(config_file, module.params["default_template_dirs"])
    if errors:
        result["errors"] = errors
        module.fail_json(msg="templates of %s: %s" % (config_file, format_errors(errors)), **result)

    fail_on_unreadable_references(module, config_file, "Alertmanager", result)

    for test in module.params["route_tests"]:
        result["route_tests"].append(run_route_test(module, amtool, config_file, test))
    failed = [t for t in result["route_tests"] if not t["passed"]]
    if failed:
        result["errors"] = [dict(file=config_file, line=None, column=None,
                                 message="labels %s reached %s, expected %s" % (t["labels"], t["got"], t["expected"]))
                            for t in failed]
        module.fail_json(msg="route tests failed for %s: %s; fix the route tree or the expected receivers"
                         % (config_file, format_errors(result["errors"])), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
