"""Lint and render the Helm chart offline, one scenario per ci/*-values.yaml.

Uses helm-python-sdk (Helm's own Go SDK through a C ABI; no helm binary and no
cluster). For each scenario it writes OUT/<scenario>/all.yaml (the whole
release, hooks included, as `helm template` prints it) and splits the objects
into OUT/<scenario>/builtin/*.yaml (Kubernetes kinds, for kubernetes-validate)
and OUT/<scenario>/crd/<group>_<version>_<Kind>/*.yaml (custom resources, for
check-jsonschema with deploy/helm/schemas/). Exit 1 on any lint error, render
error, unparsable output or duplicate object.

Usage: python render_chart.py CHART_DIR OUT_DIR
"""

from __future__ import annotations

import pathlib
import re
import sys

import helm_python as helm
import yaml

RELEASE = "pricewatch"
NAMESPACE = "pricewatch"
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"}


def fail(message: str) -> None:
    print(f"FAIL helm: {message}", file=sys.stderr)


def lint(chart: pathlib.Path, name: str, values: dict) -> bool:
    report = helm.lint(chart, values, strict=True, namespace=NAMESPACE)
    ok = True
    for message in report.get("messages", []):
        # severity: 1 info, 2 warning, 3 error; strict makes warnings count.
        if message.get("severity", 0) >= 2:
            fail(f"lint [{name}] {message.get('path')}: {message.get('error')}")
            ok = False
    for error in report.get("errors", []):
        fail(f"lint [{name}] {error}")
        ok = False
    return ok


def render(chart: pathlib.Path, name: str, values: dict, out: pathlib.Path) -> bool:
    try:
        with helm.Chart.load(chart) as loaded:
            loaded.validate_schema(values)
            manifests = loaded.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except helm.HelmError as err:
        fail(f"render [{name}]: {err}")
        return False

    scenario = out / name
    (scenario / "builtin").mkdir(parents=True, exist_ok=True)
    (scenario / "crd").mkdir(parents=True, exist_ok=True)
    whole: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    ok = True
    count = 0
    for source in sorted(manifests):
        text = manifests[source]
        if source.endswith("NOTES.txt") or not text.strip():
            continue
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as err:
            fail(f"render [{name}] {source} is not valid YAML: {err}")
            ok = False
            continue
        whole.append(f"---\n# Source: {source}\n{text.strip()}\n")
        for doc in docs:
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                fail(f"render [{name}] {source}: an object without kind/apiVersion")
                ok = False
                continue
            kind, api = doc["kind"], doc["apiVersion"]
            obj_name = (doc.get("metadata") or {}).get("name", "")
            key = (api, kind, obj_name)
            if key in seen:
                fail(f"render [{name}] duplicate {kind} {obj_name}")
                ok = False
            seen.add(key)
            count += 1
            group = api.rsplit("/", 1)[0] if "/" in api else ""
            body = yaml.safe_dump(doc, sort_keys=False)
            if group in BUILTIN_GROUPS:
                path = scenario / "builtin" / f"{count:03d}-{kind}-{obj_name}.yaml"
            else:
                folder = scenario / "crd" / re.sub(r"[^A-Za-z0-9.]+", "_", f"{api}_{kind}")
                folder.mkdir(exist_ok=True)
                path = folder / f"{count:03d}-{obj_name}.yaml"
            path.write_text(body)
    (scenario / "all.yaml").write_text("".join(whole))
    print(f"ok   helm render [{name}]: {count} objects")
    return ok


def main() -> int:
    chart = pathlib.Path(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    scenarios = sorted((chart / "ci").glob("*-values.yaml"))
    if not scenarios:
        fail(f"no {chart}/ci/*-values.yaml scenario")
        return 1
    ok = True
    for path in scenarios:
        name = path.name.removesuffix("-values.yaml")
        values = yaml.safe_load(path.read_text()) or {}
        ok &= lint(chart, name, values)
        ok &= render(chart, name, values, out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
