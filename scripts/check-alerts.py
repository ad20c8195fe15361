#!/usr/bin/env python3
"""Check the Prometheus rules and the Grafana dashboard against the metrics
the PriceWatch services really export.

Usage: scripts/check-alerts.py [--no-promtool] [ALERTS_YML] [DASHBOARD_JSON ...]

Defaults: deploy/prometheus/alerts.yml and deploy/grafana/*.json.

Fails (exit 1) when
  - an expression uses a metric that is neither exported by the services
    (METRICS below, the contract with the Rust side), nor a standard
    Prometheus / cAdvisor / kube-state-metrics metric listed in STANDARD,
    nor a recording rule defined in the rule file;
  - a selector matches on a label that metric does not have;
  - an alert lacks severity (warning|critical), `for`, summary or description;
  - an alert of the operations table is missing or has another threshold.
When `promtool` is on PATH it also runs `promtool check rules`, `promtool test
rules` (alerts.test.yml beside the rule file), `promtool check config`
(prometheus.yml beside it) and parses every dashboard query (as recording
rules in a throw-away file).

Needs python3; PyYAML is used when importable (also from .tools/venv), else a
small built-in reader of the rule file's `alert`/`record`/`expr` keys is used.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- the contract: what the services export (see docs/operations.md) ----------------
TARGET_LABELS = {"job", "instance", "service", "namespace", "pod"}
HTTP = {"service", "method", "route", "status"}
JOB = {"service", "job", "outcome"}
METRICS: dict[str, set[str]] = {
    "http_requests_total": HTTP,
    "http_request_duration_seconds_bucket": HTTP | {"le"},
    "http_request_duration_seconds_sum": HTTP,
    "http_request_duration_seconds_count": HTTP,
    "process_cpu_seconds_total": {"service"},
    "process_resident_memory_bytes": {"service"},
    "pricewatch_queue_depth": {"service", "queue"},
    "pricewatch_jobs_total": JOB,
    "pricewatch_job_duration_seconds_bucket": JOB | {"le"},
    "pricewatch_job_duration_seconds_sum": JOB,
    "pricewatch_job_duration_seconds_count": JOB,
    "pricewatch_checks_total": {"service", "result"},
    "pricewatch_emails_total": {"service", "outcome"},
    "pricewatch_outbox_stranded_total": {"service", "action"},
    "pricewatch_db_pool_connections": {"service", "state"},
    "pricewatch_service_up": {"service"},
}
# Known label values, where the contract fixes them.
LABEL_VALUES = {
    ("pricewatch_checks_total", "result"): {
        "ok", "unchanged", "no_price", "blocked", "http_error", "refused", "fetch_error"},
    ("pricewatch_emails_total", "outcome"): {"sent", "unconfirmed", "failed"},
    ("pricewatch_outbox_stranded_total", "action"): {"republished", "failed"},
    ("pricewatch_db_pool_connections", "state"): {"idle", "in_use", "max"},
}

# Standard metrics allowed on purpose (None: any label).
CADVISOR = {"namespace", "pod", "container", "name", "id", "image", "cpu", "service"}
STANDARD: dict[str, set[str] | None] = {
    "up": set(),  # Prometheus: 1 when the last scrape of a target worked
    "container_cpu_usage_seconds_total": CADVISOR,  # cAdvisor
    "container_memory_working_set_bytes": CADVISOR,  # cAdvisor
    "container_spec_cpu_quota": CADVISOR,  # cAdvisor (compose limits)
    "container_spec_cpu_period": CADVISOR,  # cAdvisor
    "container_spec_memory_limit_bytes": CADVISOR,  # cAdvisor
    "kube_pod_container_resource_limits": {  # kube-state-metrics
        "namespace", "pod", "container", "resource", "unit", "node", "uid"},
    "kube_pod_labels": None,  # kube-state-metrics: label_<pod label>
}

# The operations alert table (+ dead letters, service down): name -> severity -> threshold.
SEED_TABLE = {
    "PricewatchCpuHigh": {"warning": "0.7", "critical": "0.9"},
    "PricewatchMemoryHigh": {"warning": "0.8", "critical": "0.95"},
    "PricewatchHighErrorRate": {"warning": "0.01", "critical": "0.05"},
    "PricewatchHighLatency": {"warning": "0.5", "critical": "2"},
    "PricewatchQueueBacklog": {"warning": "100", "critical": "500"},
    "PricewatchDeadLetters": {"warning": "0"},
    "PricewatchServiceDown": {"critical": None},
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile"}

TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)
  | (?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[=<>+\-*/%^(){}\[\],:@])
""", re.VERBOSE)


def tokenize(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read PromQL at {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def selectors(expr: str):
    """Yield (metric, {label: [(op, value)]}) for every vector selector in expr."""
    toks = tokenize(expr)
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "ident" and text in GROUPING:
            # skip the label list: by (a, b)
            if nxt == "(":
                depth, i = 0, i + 1
                while i < len(toks):
                    depth += {"(": 1, ")": -1}.get(toks[i][1], 0)
                    if depth == 0:
                        break
                    i += 1
            i += 1
            continue
        if text == "[":  # range or subquery: [5m], [$__rate_interval], [1h:5m]
            while i < len(toks) and toks[i][1] != "]":
                i += 1
            i += 1
            continue
        if kind == "ident" and text == "offset":
            i += 2
            continue
        if kind == "ident" and (nxt == "(" or (text in AGGREGATIONS and nxt in GROUPING)):
            i += 1  # function or aggregation
            continue
        if kind == "ident" and text.lower() in KEYWORDS:
            i += 1
            continue
        if kind == "ident" or text == "{":
            name = text if kind == "ident" else ""
            labels: dict[str, list[tuple[str, str]]] = {}
            j = i + 1 if kind == "ident" else i
            if j < len(toks) and toks[j][1] == "{":
                j += 1
                while j < len(toks) and toks[j][1] != "}":
                    if toks[j][0] == "ident" and j + 2 < len(toks):
                        op, val = toks[j + 1][1], toks[j + 2][1]
                        labels.setdefault(toks[j][1], []).append((op, val[1:-1]))
                        j += 3
                    else:
                        j += 1
                i = j + 1
            else:
                i += 1
            if name == "" and "__name__" in labels:
                name = labels["__name__"][0][1]
            yield name, labels
            continue
        i += 1


# --- reading the rule file -----------------------------------------------------------------
def load_yaml(path: str):
    try:
        if os.environ.get("CHECK_ALERTS_NO_YAML"):  # test the built-in reader
            raise ImportError
        import yaml  # type: ignore
    except ImportError:
        venv_python = os.path.join(ROOT, ".tools", "venv", "bin", "python3")
        if os.path.exists(venv_python) and sys.executable != venv_python \
                and not os.environ.get("CHECK_ALERTS_REEXEC"):
            os.environ["CHECK_ALERTS_REEXEC"] = "1"
            os.execv(venv_python, [venv_python, *sys.argv])
        return mini_yaml_rules(path)
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def mini_yaml_rules(path: str):
    """Enough of YAML for a rule file: the rules' alert/record/expr/for and labels/annotations keys."""
    rules, cur, block, block_indent, section = [], None, None, 0, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if block is not None:
            if stripped == "" or indent > block_indent:
                cur[block] = cur.get(block, "") + line.strip() + "\n"
                continue
            block = None
        if not stripped or stripped.startswith("#"):
            continue
        m = re.match(r"-?\s*(alert|record|expr|for):\s*(.*)$", stripped)
        if m:
            key, val = m.groups()
            if stripped.startswith("-") and key in ("alert", "record"):
                cur = {}
                rules.append(cur)
                section = None
            if cur is None:
                continue
            if val in ("|", ">", "|-", ">-"):
                block, block_indent = key, indent
            else:
                cur[key] = val.strip().strip('"').strip("'")
            continue
        m = re.match(r"(labels|annotations):\s*$", stripped)
        if m and cur is not None:
            section = m.group(1)
            cur[section] = {}
            continue
        m = re.match(r"([A-Za-z_]+):\s*(.*)$", stripped)
        if m and cur is not None and section:
            cur[section][m.group(1)] = m.group(2).strip().strip('"')
    return {"groups": [{"name": "all", "rules": rules}]}


# --- checks ------------------------------------------------------------------------------------
def check_expr(where: str, expr: str, recorded: set[str], errors: list[str]) -> set[str]:
    used = set()
    try:
        found = list(selectors(expr))
    except ValueError as e:
        errors.append(f"{where}: {e}")
        return used
    for name, labels in found:
        used.add(name)
        if name in recorded:
            continue
        if name in METRICS:
            allowed = METRICS[name] | TARGET_LABELS
        elif name in STANDARD:
            allowed = None if STANDARD[name] is None else STANDARD[name] | TARGET_LABELS
        else:
            errors.append(f"{where}: unknown metric {name!r} (not exported by the services, "
                          "not an allowed standard metric, not a recording rule)")
            continue
        for label, matchers in labels.items():
            if allowed is not None and label not in allowed:
                errors.append(f"{where}: metric {name} has no label {label!r} "
                              f"(it has: {', '.join(sorted(allowed))})")
            known = LABEL_VALUES.get((name, label))
            for op, value in matchers:
                if known and op in ("=", "!=") and value not in known and "$" not in value:
                    errors.append(f"{where}: {name}{{{label}{op}\"{value}\"}}: "
                                  f"{value!r} is not one of {sorted(known)}")
                if known and op in ("=~", "!~") and "$" not in value:
                    for alt in re.split(r"\|", value):
                        if re.fullmatch(r"[a-z_]+", alt) and alt not in known:
                            errors.append(f"{where}: {name}{{{label}{op}\"{value}\"}}: "
                                          f"{alt!r} is not one of {sorted(known)}")
    return used


def check_rules(path: str, errors: list[str]) -> set[str]:
    doc = load_yaml(path)
    rules = [r for g in doc.get("groups", []) for r in g.get("rules", [])]
    recorded = {r["record"] for r in rules if "record" in r}
    seen: dict[str, dict[str, list[str]]] = {}
    used = set()
    for r in rules:
        name = r.get("alert") or r.get("record") or "?"
        expr = str(r.get("expr", ""))
        if not expr.strip():
            errors.append(f"{path}: rule {name}: no expr")
            continue
        used |= check_expr(f"{path}: {name}", expr, recorded, errors)
        if "alert" in r:
            labels = r.get("labels") or {}
            ann = r.get("annotations") or {}
            sev = labels.get("severity")
            if sev not in ("warning", "critical"):
                errors.append(f"{path}: alert {name}: severity must be warning or critical, got {sev!r}")
            if not r.get("for"):
                errors.append(f"{path}: alert {name}: no `for` duration")
            for key in ("summary", "description"):
                if not ann.get(key):
                    errors.append(f"{path}: alert {name}: no {key} annotation")
            seen.setdefault(name, {}).setdefault(sev, []).append(expr)
    for alert, levels in SEED_TABLE.items():
        for sev, threshold in levels.items():
            exprs = seen.get(alert, {}).get(sev)
            if not exprs:
                errors.append(f"{path}: missing alert {alert} ({sev}) from the operations table")
                continue
            for expr in exprs:
                if threshold is not None and not re.search(rf">\s*{re.escape(threshold)}(?![\d.])", expr):
                    errors.append(f"{path}: alert {alert} ({sev}) should compare with > {threshold}: {expr.strip()}")
    return used


def dashboard_exprs(obj, out: list[str]):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "expr" and isinstance(v, str):
                out.append(v)
            elif k == "query" and isinstance(v, str) and "(" in v:
                out.append(v)
            elif k == "query" and isinstance(v, dict) and isinstance(v.get("query"), str):
                out.append(v["query"])
            else:
                dashboard_exprs(v, out)
    elif isinstance(obj, list):
        for v in obj:
            dashboard_exprs(v, out)


def check_dashboard(path: str, recorded: set[str], errors: list[str]) -> list[str]:
    """Checks the names in every query; returns the PromQL queries (variables excluded)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    exprs: list[str] = []
    dashboard_exprs(doc, exprs)
    promql = []
    for expr in exprs:
        # label_values(metric, label) in template variables
        m = re.fullmatch(r"\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)\s*", expr)
        if m:
            check_expr(f"{path}: variable", m.group(1), recorded, errors)
            continue
        check_expr(f"{path}: {expr.strip()[:60]}", expr, recorded, errors)
        promql.append(expr)
    return promql


def promtool_parse(promtool: str, exprs: list[str], errors: list[str]):
    """PromQL syntax of dashboard queries: promtool check rules on a throw-away rule file."""
    import tempfile
    rules = []
    for i, expr in enumerate(exprs):
        # Grafana's interval variables -> a duration, other variables sit in label values
        concrete = re.sub(r"\$__(rate_interval|interval|range)", "5m", expr)
        rules.append({"record": f"dashboard:query_{i}", "expr": concrete})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)  # JSON is YAML
        name = f.name
    try:
        run([promtool, "check", "rules", name], errors)
    finally:
        os.unlink(name)


def run(cmd: list[str], errors: list[str]):
    res = subprocess.run(cmd, capture_output=True, text=True)
    print("\n".join(f"  {line}" for line in (res.stdout + res.stderr).strip().splitlines()))
    if res.returncode != 0:
        errors.append(f"{' '.join(cmd)} failed")


def main(argv: list[str]) -> int:
    use_promtool = "--no-promtool" not in argv
    args = [a for a in argv if not a.startswith("--")]
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    rules_path = args[0] if args else os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
    dashboards = args[1:] or sorted(glob.glob(os.path.join(ROOT, "deploy", "grafana", "*.json")))
    errors: list[str] = []

    used = check_rules(rules_path, errors)
    doc = load_yaml(rules_path)
    recorded = {r["record"] for g in doc.get("groups", []) for r in g.get("rules", []) if "record" in r}
    print(f"rules: {rules_path}: metrics used: {', '.join(sorted(used - recorded))}")
    dashboard_queries: list[str] = []
    for d in dashboards:
        queries = check_dashboard(d, recorded, errors)
        dashboard_queries += queries
        print(f"dashboard: {d}: {len(queries)} queries checked")

    promtool = shutil.which("promtool")
    if use_promtool and promtool:
        base = os.path.dirname(os.path.abspath(rules_path))
        print("promtool check rules")
        run([promtool, "check", "rules", rules_path], errors)
        tests = os.path.join(base, "alerts.test.yml")
        if os.path.exists(tests):
            print("promtool test rules")
            run([promtool, "test", "rules", tests], errors)
        config = os.path.join(base, "prometheus.yml")
        if os.path.exists(config):
            print("promtool check config")
            run([promtool, "check", "config", config], errors)
        if dashboard_queries:
            print("promtool: PromQL syntax of the dashboard queries")
            promtool_parse(promtool, dashboard_queries, errors)
    elif use_promtool:
        print("promtool not found: only the built-in checks ran "
              "(Debian: apt-get install prometheus ships promtool)")

    for e in errors:
        print(f"ERROR {e}", file=sys.stderr)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
