# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lint Prometheus rules and Alertmanager routing for defects that promtool and amtool accept.

Controller-side only: it parses PromQL with the promql-parser package (PyPI). Every check has
an id; a rule can turn checks off with the annotation ``tda_lint_disable: "id1, id2"`` and a
run with the ``disabled_checks`` option. docs/prometheus_lint.md lists them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    import promql_parser
    HAS_PROMQL_PARSER = True
    PROMQL_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's packages
    promql_parser = None
    HAS_PROMQL_PARSER = False
    PROMQL_IMPORT_ERROR = exc

ERROR = "error"
WARNING = "warning"

# id: (severity, one-line description) — the catalogue documented in docs/prometheus_lint.md
CHECKS = {
    "promql-parse": (ERROR, "an expression that does not parse"),
    "histogram-quantile-no-rate": (ERROR, "histogram_quantile over _bucket series without rate/irate/increase"),
    "histogram-quantile-drops-le": (ERROR, "histogram_quantile over an aggregation that drops the le label"),
    "rate-non-counter": (ERROR, "rate/irate/increase over a series that is not a counter by its name"),
    "ratio-labels-mismatch": (ERROR, "a ratio whose sides keep different labels, so no series match"),
    "ratio-self-division": (ERROR, "a ratio that divides each filtered series by itself"),
    "division-unguarded": (ERROR, "division by a limit or size gauge that can be zero, with no guard"),
    "alert-label-changing-value": (ERROR, "an alert label holding $value or another changing value"),
    "humanize-percentage-not-ratio": (WARNING, "humanizePercentage on a value that is not a ratio"),
    "alert-missing-for": (WARNING, "an alert without for:"),
    "alert-severity": (ERROR, "an alert without a severity label from the allowed set"),
    "alert-annotations": (ERROR, "an alert without summary and description annotations"),
    "env-placeholder": (ERROR, "a ${VAR} placeholder, which Prometheus and Alertmanager never expand"),
    "route-never-matches": (ERROR, "an Alertmanager route whose matchers no deployed rule's labels satisfy"),
    "route-alternative-never-matches": (ERROR, "an alternative in a route regex that no deployed rule emits"),
    "receiver-unused": (WARNING, "a receiver that no route reaches"),
    "deprecated-match": (WARNING, "match/match_re/source_match/target_match instead of matchers"),
    "template-grouplabel-not-grouped": (ERROR, "a .GroupLabels.X in a receiver whose route does not group by X"),
}

COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
RATE_FUNCTIONS = ("rate", "irate", "increase")
COMPARISONS = (">", "<", ">=", "<=", "==", "!=")
_ENV_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_CHANGING_VALUE = re.compile(r"\$value|\.Value|humanize")
_GROUP_LABEL = re.compile(r"\.GroupLabels\.([A-Za-z_][A-Za-z0-9_]*)")
_DISABLE_ANNOTATION = "tda_lint_disable"


class Finding(dict):
    """file, group, rule, check, severity, message, fix."""

    def __init__(self, check, message, fix, file=None, group=None, rule=None):
        super(Finding, self).__init__(file=file, group=group, rule=rule, check=check,
                                      severity=CHECKS[check][0], message=message, fix=fix)


# ---------------------------------------------------------------- PromQL analysis

def _op(expr):
    return str(getattr(expr, "op", "")).strip()


def _children(expr):
    name = type(expr).__name__
    if name == "BinaryExpr":
        return [expr.lhs, expr.rhs]
    if name in ("ParenExpr", "UnaryExpr", "SubqueryExpr", "AggregateExpr"):
        kids = [expr.expr]
        if name == "AggregateExpr" and getattr(expr, "param", None) is not None:
            kids.append(expr.param)
        return kids
    if name == "Call":
        return list(expr.args)
    if name == "MatrixSelector":
        return [expr.vector_selector]
    return []


def _walk(expr, parents=()):
    """(node, parents) for every node, depth first."""
    yield expr, parents
    for child in _children(expr):
        yield from _walk(child, parents + (expr,))


def _selectors(expr):
    return [node for node, _p in _walk(expr) if type(node).__name__ == "VectorSelector"]


def expression_references(expr_text):
    """What an expression reads: ([(metric name, [(label, op, value)])] of its named selectors,
    {label names its aggregations and vector matchings name}). Raises ValueError when it does not parse."""
    ast = promql_parser.parse(expr_text)
    labels = set()
    for node, _parents in _walk(ast):
        modifier = getattr(node, "modifier", None)
        if type(node).__name__ == "AggregateExpr" and modifier is not None:
            labels.update(modifier.labels)
        elif type(node).__name__ == "BinaryExpr" and modifier is not None and modifier.matching is not None:
            labels.update(modifier.matching.labels)
    return [(node.name, _matchers(node)) for node in _selectors(ast) if node.name], labels


def _matchers(selector):
    return [(m.name, str(m.op), m.value) for m in selector.matchers.matchers]


def _unparen(expr):
    while type(expr).__name__ == "ParenExpr":
        expr = expr.expr
    return expr


def _is_scalar(expr):
    expr = _unparen(expr)
    kind = type(expr).__name__
    if kind == "NumberLiteral":
        return True
    if kind == "Call" and expr.func.name in ("scalar", "time", "pi"):
        return True
    if kind == "BinaryExpr":
        return _is_scalar(expr.lhs) and _is_scalar(expr.rhs)
    return False


ALL = "all"


def output_labels(expr):
    """Labels an expression keeps: (ALL, removed) for 'every label of the source except these',
    ('set', labels) for a known set, or None for a scalar."""
    expr = _unparen(expr)
    kind = type(expr).__name__
    if kind in ("VectorSelector", "MatrixSelector"):
        return (ALL, frozenset(["__name__"]))
    if kind == "NumberLiteral" or _is_scalar(expr):
        return None
    if kind in ("UnaryExpr", "SubqueryExpr"):
        return output_labels(expr.expr)
    if kind == "AggregateExpr":
        op = _op(expr)
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return output_labels(expr.expr)
        modifier = expr.modifier
        if modifier is None:
            return ("set", frozenset())
        labels = frozenset(modifier.labels)
        if "By" in str(modifier.type):
            return ("set", labels)
        inner = output_labels(expr.expr)
        if inner is None:
            return None
        if inner[0] == ALL:
            return (ALL, inner[1] | labels)
        return ("set", inner[1] - labels)
    if kind == "Call":
        name = expr.func.name
        if name in ("vector", "time", "absent", "absent_over_time"):
            return ("set", frozenset())
        vector_args = [a for a in expr.args if not _is_scalar(a) and type(_unparen(a)).__name__ != "StringLiteral"]
        if not vector_args:
            return None
        inner = output_labels(vector_args[0])
        if name == "histogram_quantile" and inner is not None:
            return (inner[0], inner[1] | frozenset(["le"])) if inner[0] == ALL else ("set", inner[1] - {"le"})
        return inner
    if kind == "BinaryExpr":
        left, right = output_labels(expr.lhs), output_labels(expr.rhs)
        return left if left is not None else right
    return None


def _keeps(labels, name):
    if labels is None:
        return False
    kind, names = labels
    return name not in names if kind == ALL else name in names


def _describe(labels):
    if labels is None:
        return "a scalar"
    kind, names = labels
    if kind == ALL:
        return "all the source's labels" + (" except %s" % ", ".join(sorted(names - {"__name__"})) if names - {"__name__"} else "")
    return "only %s" % (", ".join(sorted(names)) or "no labels")


def _under_rate(parents):
    return any(type(p).__name__ == "Call" and p.func.name in RATE_FUNCTIONS for p in parents)


def _guarded(expr):
    """A divisor filtered to non-zero (> 0, != 0), clamped, or constant."""
    expr = _unparen(expr)
    kind = type(expr).__name__
    if _is_scalar(expr):
        return not (kind == "NumberLiteral" and expr.val == 0)
    if kind == "BinaryExpr" and _op(expr) in (">", "!=", ">=") and _is_scalar(expr.rhs):
        return True
    if kind == "Call" and expr.func.name in ("clamp_min", "clamp"):
        return True
    if kind == "AggregateExpr":
        return _guarded(expr.expr)
    return False


_LIMIT_NAME = re.compile(r"(^|_)(max|limit|limits|capacity|quota|size)(_|$)", re.I)


def _divisor_can_be_zero(expr):
    """A divisor that is a limit or size gauge (0 when unset: Redis maxmemory, a container
    without a memory limit). Rates in a divisor give NaN, which never fires, so they pass."""
    if _guarded(expr):
        return False
    for node, parents in _walk(expr):
        if type(node).__name__ == "VectorSelector" and _LIMIT_NAME.search(node.name or "") \
                and not _under_rate(parents) \
                and not any(type(p).__name__ == "BinaryExpr" and _op(p) in (">", "!=") for p in parents):
            return True
    return False


def lint_expression(expr_text):
    """Findings (check, message, fix) of one PromQL expression, without rule context."""
    found = []
    try:
        ast = promql_parser.parse(expr_text)
    except ValueError as exc:
        return [("promql-parse", "does not parse: %s" % exc, "fix the expression; promtool shows the position")], None

    for node, parents in _walk(ast):
        kind = type(node).__name__
        if kind == "Call" and node.func.name == "histogram_quantile" and len(node.args) == 2:
            _check_histogram_quantile(node.args[1], found)
        if kind == "Call" and node.func.name in RATE_FUNCTIONS:
            for selector in _selectors(node):
                name = selector.name or ""
                if name and not name.endswith(COUNTER_SUFFIXES):
                    found.append(("rate-non-counter",
                                  "%s() over %s, which is not a counter by its name (counters end in %s)"
                                  % (node.func.name, name, ", ".join(COUNTER_SUFFIXES)),
                                  "use the gauge directly, deriv() or delta() for a gauge, or the exporter's "
                                  "counter; if it truly is a counter exported as a gauge, disable the check "
                                  "for this rule"))
        if kind == "BinaryExpr" and _op(node) == "/" and not _is_scalar(node.lhs) and not _is_scalar(node.rhs):
            _check_ratio(node, found)
            if _divisor_can_be_zero(node.rhs):
                found.append(("division-unguarded",
                              "divides by %s, which can be 0 (an unset limit or an empty size): the ratio "
                              "becomes +Inf or NaN" % _short(node.rhs),
                              "filter the divisor to non-zero: (... / (divisor > 0))"))
    return found, ast


def _short(expr):
    text = str(expr.prettify() if hasattr(expr, "prettify") else expr)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _check_histogram_quantile(arg, found):
    buckets = [s for s in _selectors(arg) if (s.name or "").endswith("_bucket")]
    for selector, parents in ((n, p) for n, p in _walk(arg) if n in buckets):
        if not _under_rate(parents):
            found.append(("histogram-quantile-no-rate",
                          "histogram_quantile over %s without rate(): the quantile of counts accumulated "
                          "since the process started, not of recent requests" % selector.name,
                          "histogram_quantile(0.95, sum by (le) (rate(%s[5m])))" % selector.name))
    for node, _parents in _walk(arg):
        if type(node).__name__ == "AggregateExpr" and _op(node) not in ("topk", "bottomk"):
            if not _keeps(output_labels(node), "le"):
                found.append(("histogram-quantile-drops-le",
                              "the aggregation %s inside histogram_quantile drops the le label the quantile "
                              "needs" % _op(node),
                              "aggregate with by (le, ...) or without (...) leaving le"))


def _check_ratio(node, found):
    modifier = node.modifier
    matching = getattr(modifier, "matching", None) if modifier is not None else None
    left, right = output_labels(node.lhs), output_labels(node.rhs)
    if matching is None and left is not None and right is not None and left != right:
        found.append(("ratio-labels-mismatch",
                      "the numerator keeps %s but the denominator keeps %s: without on()/ignoring() no "
                      "series match and the ratio is always empty" % (_describe(left), _describe(right)),
                      "aggregate both sides by the same labels, or match with on(...)"))
        return
    # labels the two sides are matched on
    # on(...) is LabelModifierType.Include, ignoring(...) is Exclude
    if matching is not None and ("Include" in str(matching.type) or "On" in str(matching.type)):
        matched = ("set", frozenset(matching.labels))
    elif matching is not None:
        matched = (left[0], left[1] | frozenset(matching.labels)) if left else None
    else:
        matched = left
    left_filters = {(n, o, v) for s in _selectors(node.lhs) for n, o, v in _matchers(s) if n != "__name__"}
    right_filters = {(n, o, v) for s in _selectors(node.rhs) for n, o, v in _matchers(s) if n != "__name__"}
    for name, op, value in sorted(left_filters - right_filters):
        if _keeps(matched, name):
            found.append(("ratio-self-division",
                          "the numerator is filtered on %s%s%r and both sides keep %s, so each series is "
                          "divided by itself: the ratio is 1 or absent, never the share it means"
                          % (name, _pretty_op(op), value, name),
                          "aggregate %s away on both sides: sum(rate(x{%s%s%r}[5m])) / sum(rate(x[5m])) "
                          "(keep other labels with by (...))" % (name, name, _pretty_op(op), value)))


def _pretty_op(op):
    return {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}.get(op, op)


# ---------------------------------------------------------------- rules

def _disabled_for(rule):
    text = (rule.get("annotations") or {}).get(_DISABLE_ANNOTATION, "")
    return {c.strip() for c in str(text).split(",") if c.strip()}


def lint_rules(groups, file=None, allowed_severities=("critical", "warning", "info")):
    """Findings for rule groups (the parsed content of a rule file: its 'groups' list)."""
    findings = []
    for group in groups or []:
        gname = group.get("name")
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            disabled = _disabled_for(rule)

            def add(check, message, fix, _name=name, _disabled=disabled):
                if check not in _disabled:
                    findings.append(Finding(check, message, fix, file=file, group=gname, rule=_name))

            expr_text = str(rule.get("expr", ""))
            found, ast = lint_expression(expr_text)
            for check, message, fix in found:
                add(check, message, fix)
            if _ENV_PLACEHOLDER.search(expr_text):
                add("env-placeholder", "the expression holds %s" % _ENV_PLACEHOLDER.search(expr_text).group(0),
                    "write the value itself")
            if "alert" in rule:
                _lint_alert(rule, ast, add, allowed_severities)
    return findings


def _lint_alert(rule, ast, add, allowed_severities):
    labels = rule.get("labels") or {}
    annotations = rule.get("annotations") or {}
    for key, value in sorted(labels.items()):
        if _CHANGING_VALUE.search(str(value)):
            add("alert-label-changing-value",
                "label %s=%r changes with every evaluation, so each value is a new alert that resolves "
                "the previous one" % (key, value),
                "move it into an annotation")
    if not rule.get("for"):
        add("alert-missing-for", "fires on the first evaluation that matches, with no for: to ride out a blip",
            "add for: (at least two evaluation intervals), or disable the check for a heartbeat alert")
    severity = labels.get("severity")
    if severity not in allowed_severities:
        add("alert-severity", "severity label %r is not one of %s" % (severity, ", ".join(allowed_severities)),
            "set labels.severity to one of %s" % ", ".join(allowed_severities))
    missing = [a for a in ("summary", "description") if not annotations.get(a)]
    if missing:
        add("alert-annotations", "no %s annotation" % " and no ".join(missing),
            "add annotations.summary and annotations.description")
    uses_pct = any("humanizePercentage" in str(v) and "$value" in str(v) for v in annotations.values())
    if uses_pct and ast is not None:
        value_expr = _unparen(ast)
        if type(value_expr).__name__ == "BinaryExpr" and _op(value_expr) in COMPARISONS:
            value_expr = value_expr.lhs if not _is_scalar(value_expr.lhs) else value_expr.rhs
        if not any(type(n).__name__ == "BinaryExpr" and _op(n) == "/" for n, _p in _walk(value_expr)):
            add("humanize-percentage-not-ratio",
                "an annotation shows $value with humanizePercentage, but the value is not a ratio "
                "(0.8 shows as 80%, 3 as 300%)",
                "divide by the capacity (a ratio), or use humanize for an absolute value")
    for key, value in sorted(list(labels.items()) + list(annotations.items())):
        match = _ENV_PLACEHOLDER.search(str(value))
        if match:
            add("env-placeholder", "%s holds %s, which is never expanded" % (key, match.group(0)),
                "write the value itself")


def emitted_label_values(groups):
    """{label: set(values)} of the static labels of every alert rule."""
    emitted = {}
    for group in groups or []:
        for rule in group.get("rules") or []:
            if "alert" not in rule:
                continue
            emitted.setdefault("alertname", set()).add(rule["alert"])
            for key, value in (rule.get("labels") or {}).items():
                emitted.setdefault(key, set()).add(str(value))
    return emitted


# ---------------------------------------------------------------- configs

def lint_placeholders(text, file):
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _ENV_PLACEHOLDER.finditer(line):
            finding = Finding("env-placeholder",
                              "line %d holds %s: neither Prometheus nor Alertmanager expands it, the literal "
                              "text is sent" % (number, match.group(0)),
                              "put the secret in a file on the host and use the *_file field "
                              "(password_file, credentials_file, api_url_file...)", file=file)
            finding["line"] = number
            findings.append(finding)
    return findings


_MATCHER_TEXT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*\"?(.*?)\"?\s*$")


def _route_matchers(route):
    """[(label, op, value)] of a route's matchers, match and match_re included."""
    out = []
    for text in route.get("matchers") or []:
        match = _MATCHER_TEXT.match(str(text))
        if match:
            out.append(match.groups())
    for key, value in (route.get("match") or {}).items():
        out.append((key, "=", str(value)))
    for key, value in (route.get("match_re") or {}).items():
        out.append((key, "=~", str(value)))
    return out


def _value_matches(op, pattern, value):
    if op in ("=", "!="):
        hit = value == pattern
    else:
        hit = re.match(r"^(?:%s)$" % pattern, value) is not None
    return hit if op in ("=", "=~") else not hit


def _walk_routes(route, inherited_group_by, path):
    group_by = route.get("group_by", inherited_group_by)
    yield route, group_by, path
    for index, child in enumerate(route.get("routes") or []):
        yield from _walk_routes(child, group_by, "%s.routes[%d]" % (path, index))


def lint_alertmanager(config, emitted, file=None):
    """Findings for an Alertmanager configuration (parsed), given the label values rules emit."""
    findings = []
    root = config.get("route") or {}
    receivers = {r.get("name"): r for r in config.get("receivers") or []}
    reached = set()
    for route, group_by, path in _walk_routes(root, root.get("group_by", []), "route"):
        if route.get("receiver"):
            reached.add(route["receiver"])
        if route.get("match") or route.get("match_re"):
            findings.append(Finding("deprecated-match", "%s uses match/match_re, deprecated since Alertmanager 0.22"
                                    % path, "write matchers: ['label=\"value\"', 'label=~\"regex\"']", file=file))
        for label, op, value in _route_matchers(route):
            if label not in emitted or path == "route":
                continue  # a label no rule sets statically (instance, job, external labels): cannot judge
            values = emitted[label]
            if not any(_value_matches(op, value, v) for v in values):
                findings.append(Finding("route-never-matches",
                                        "%s matches %s%s%r, but the deployed rules emit %s=%s" %
                                        (path, label, op, value, label, sorted(values)),
                                        "match a value the rules emit, or fix the rules' labels", file=file))
            elif op == "=~":
                alternatives = _alternatives(value)
                dead = [a for a in alternatives if re.escape(a) == a and a not in values]
                if dead and len(alternatives) > 1:
                    findings.append(Finding("route-alternative-never-matches",
                                            "%s matches %s=~%r, but no rule emits %s=%s (emitted: %s)" %
                                            (path, label, value, label, "|".join(dead), sorted(values)),
                                            "use the values the rules emit", file=file))
        receiver = receivers.get(route.get("receiver"))
        if receiver and group_by != ["..."]:
            text = repr(receiver)
            for label in sorted(set(_GROUP_LABEL.findall(text))):
                if label not in (group_by or []):
                    findings.append(Finding("template-grouplabel-not-grouped",
                                            "receiver %s uses .GroupLabels.%s but %s groups by %s: it renders "
                                            "empty" % (receiver.get("name"), label, path, group_by or "nothing"),
                                            "use .CommonLabels.%s, or add %s to group_by" % (label, label),
                                            file=file))
    for inhibit in config.get("inhibit_rules") or []:
        if inhibit.get("source_match") or inhibit.get("target_match") or inhibit.get("source_match_re") \
                or inhibit.get("target_match_re"):
            findings.append(Finding("deprecated-match", "an inhibit rule uses source_match/target_match",
                                    "write source_matchers/target_matchers", file=file))
    for name in sorted(set(receivers) - reached):
        findings.append(Finding("receiver-unused", "receiver %s is defined but no route reaches it" % name,
                                "route to it or remove it", file=file))
    return findings


def _alternatives(pattern):
    inner = pattern.strip()
    inner = inner[1:] if inner.startswith("^") else inner
    inner = inner[:-1] if inner.endswith("$") else inner
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return inner.split("|")
