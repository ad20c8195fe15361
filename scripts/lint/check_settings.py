"""Do the deployment files agree with the settings the binaries accept?

The settings each binary accepts come from clap's own definitions, written as
JSON by a Rust test (crates/system-tests/tests/settings.rs). Then, for docker-compose.prod.yml, the Helm
chart (rendered) and .env.production.example:

- every service gets every setting its binary reads, and none it does not read
  (a stale or misspelt name is silently ignored by the binary);
- bind addresses listen on all interfaces, on the port the healthchecks,
  probes, Services and the api's probe URLs use;
- .env.production.example lists every setting, and each value set there
  reaches the services (compose interpolates it);
- the default resource limits and concurrency (api 1 CPU / 1 GB and 4 workers,
  scraper-worker 0.5 / 512 MB and concurrency 4, scheduler 0.25 / 256 MB,
  nginx 0.25 / 128 MB, notifier like a worker);
- the compose stack's shape: restart always, a healthcheck everywhere, no
  published port but nginx's, start order; the chart's: one Recreate
  scheduler, KEDA on the right queues, probes on the service's own port;
- the values themselves: each binary is started with the environment its
  compose service (interpolated from .env.production.example) and its chart
  Deployment would give it, with every address pointed at a closed loopback
  port, and must not stop with a configuration error (exit 2).

Usage: python check_settings.py ROOT BIN_DIR SETTINGS_JSON
Prints one line per problem naming the file, the service and the setting.
Exit 0 when everything agrees, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from urllib.parse import urlsplit

import yaml

# service -> (binary, extra args for --help)
SERVICES = {
    "api": ("pricewatch-api", []),
    "scraper-worker": ("pricewatch-scraper-worker", []),
    "scheduler": ("pricewatch-scheduler", []),
    "notifier": ("pricewatch-notifier", []),
    "renderer": ("pricewatch-renderer", []),
    "migrate": ("pricewatch", ["migrate"]),
}
# Read from the environment outside clap (tracing's EnvFilter).
RUNTIME_ENV = {"RUST_LOG"}
BIND = {
    "api": ("API_BIND", 8000),
    "scraper-worker": ("SCRAPER_WORKER_HEALTH_BIND", 8001),
    "scheduler": ("SCHEDULER_HEALTH_BIND", 8002),
    "notifier": ("NOTIFIER_HEALTH_BIND", 8003),
    "renderer": ("RENDERER_HEALTH_BIND", 8004),
}
PROBE_URLS = {
    "SCRAPER_WORKER_HEALTH_URL": "scraper-worker",
    "SCHEDULER_HEALTH_URL": "scheduler",
    "NOTIFIER_HEALTH_URL": "notifier",
    "RENDERER_HEALTH_URL": "renderer",
}
# Default resource limits (the notifier sized like a worker). CPU in
# millicores, memory in MiB.
SEED_RESOURCES = {
    "api": (1000, 1024),
    "scraper-worker": (500, 512),
    "scheduler": (250, 256),
    "notifier": (500, 512),
    "renderer": (1000, 1536),
    "nginx": (250, 128),
}
# Default concurrency: api workers empty (one per CPU the container may use),
# 4 checks per worker.
SEED_CONCURRENCY = {"API_WORKERS": ("api", ""), "SCRAPER_CONCURRENCY": ("scraper-worker", "4")}
CHART_VALUES_KEY = {"api": "api", "scraper-worker": "scraperWorker", "scheduler": "scheduler", "notifier": "notifier", "renderer": "renderer"}
DATA_STORES = {"db", "redis", "rabbitmq"}  # db: PostgreSQL, the name scripts/backup.sh uses

problems: list[str] = []
checks = 0


def check(ok: bool, where: str, message: str) -> bool:
    global checks
    checks += 1
    if not ok:
        problems.append(f"{where}: {message}")
    return ok


# ------------------------------------------------------------------ binaries
def accepted_settings(settings_json: pathlib.Path) -> dict[str, set[str]]:
    try:
        listed = json.loads(settings_json.read_text())
    except (OSError, ValueError) as err:
        check(False, "binaries", f"the accepted settings were not read from {settings_json}: {err}")
        return {}
    accepted: dict[str, set[str]] = {}
    for service, (binary, _) in SERVICES.items():
        names = set(listed.get(service) or [])
        if check(bool(names), "binaries", f"{binary} ({service}): no settings listed in {settings_json}"):
            accepted[service] = names | RUNTIME_ENV
    return accepted


def compare(where: str, service: str, given: set[str], accepted: set[str], every: set[str] | None, strict_missing: bool) -> None:
    """`every`: the settings of all binaries, None while some are not built."""
    for name in sorted(accepted - given):
        binary = SERVICES[service][0]
        if strict_missing:
            check(False, where, f"{service} does not set {name}, which {binary} reads")
    for name in sorted(given - accepted):
        if every is not None and name not in every:
            check(False, where, f"{service} sets {name}, which no PriceWatch binary reads (misspelt or stale?)")
        else:
            check(False, where, f"{service} sets {name}, which {SERVICES[service][0]} does not read")
    check(True, where, "")


def port_of(address: str) -> int | None:
    match = re.fullmatch(r"(?:0\.0\.0\.0|\[::\]|::|[^:]*):(\d+)", str(address))
    return int(match.group(1)) if match else None


def all_interfaces(address: str) -> bool:
    return str(address).startswith(("0.0.0.0:", "[::]:"))


def cpu_millis(value) -> int:
    text = str(value)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


def mem_mib(value, binary_units: bool) -> float:
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)", text)
    if not match:
        return -1
    number, unit = float(match.group(1)), match.group(2).lower().rstrip("b")
    powers = {"": 0, "k": 1, "ki": 1, "m": 2, "mi": 2, "g": 3, "gi": 3}
    if unit not in powers:
        return -1
    base = 1024 if (binary_units or unit.endswith("i")) else 1000
    return number * base ** powers[unit] / 1024**2


# -------------------------------------------------------------------- values
PLACEHOLDER_SECRET = "check-settings-placeholder-0123456789abcdef"
CLOSED = "127.0.0.1:9"  # nothing listens on the discard port: connections fail at once


def neutralized(name: str, value: str) -> str:
    """The same setting, pointed at loopback so that trying it reaches nothing."""
    if name.endswith("_BIND"):
        return "127.0.0.1:0"
    if name == "SENTRY_DSN":
        return ""
    if name == "SMTP_HOST":
        return "127.0.0.1"
    if re.match(r"^(postgres|postgresql|redis|rediss|amqp|amqps|http|https)://", value) and name.endswith("_URL") \
            and name != "PUBLIC_BASE_URL":
        parts = urlsplit(value)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{CLOSED}" if userinfo else CLOSED
        return parts._replace(netloc=netloc).geturl()
    return value


def try_settings(where: str, service: str, env: dict[str, str], bin_dir: pathlib.Path) -> None:
    """Start the binary with these settings for a moment: it must get past parsing them."""
    binary, args = SERVICES[service]
    path = bin_dir / binary
    if not path.is_file():
        return
    run_env = {k: neutralized(k, str(v)) for k, v in env.items()}
    run_env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    try:
        run = subprocess.run([str(path), *args], env=run_env, capture_output=True, text=True,
                             timeout=3, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        check(True, where, "")  # still running: the settings were accepted
        return
    rejected = run.returncode == 2 and "configuration error" in run.stderr
    line = next((l for l in run.stderr.splitlines() if "configuration error" in l), "")
    check(not rejected, where, f"{service}: {binary} rejects its settings: {line.strip()[:300]}")


def read_env_file(path: pathlib.Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if m := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            value = m.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[m.group(1)] = value
    return values


def interpolate(value, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $$."""
    def one(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        current = env.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if current is not None else arg
        if op in (":?", "?"):
            return current or PLACEHOLDER_SECRET
        return current or ""
    text = re.sub(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}", one, str(value))
    return text.replace("$$", "$")


# ------------------------------------------------------------------- compose
def interpolation_default(value: str) -> str | None:
    match = re.fullmatch(r"\$\{[A-Z0-9_]+:?-([^}]*)\}", str(value))
    return match.group(1) if match else None


def check_compose(root: pathlib.Path, bin_dir: pathlib.Path, accepted: dict[str, set[str]], every: set[str] | None) -> set[str]:
    where = "docker-compose.prod.yml"
    text = (root / where).read_text()
    doc = yaml.safe_load(text)
    services = doc.get("services", {})
    for name in [*SERVICES, "nginx", *DATA_STORES]:
        check(name in services, where, f"no `{name}` service")

    for name, svc in services.items():
        one_shot = name == "migrate"
        check(svc.get("restart") == ("no" if one_shot else "always"), where,
              f"{name}: restart is {svc.get('restart')!r}, expected {'no' if one_shot else 'always'!r}")
        health = svc.get("healthcheck") or {}
        if not one_shot:
            check(bool(health.get("test")) and not health.get("disable"), where, f"{name}: no healthcheck")
        if name != "nginx":
            check(not svc.get("ports"), where, f"{name}: publishes ports {svc.get('ports')}; only nginx may")
        check("container_name" not in svc, where, f"{name}: container_name prevents --scale")

    for name in ("api", "scraper-worker", "scheduler", "notifier"):
        deps = (services.get(name) or {}).get("depends_on") or {}
        check(isinstance(deps, dict) and deps.get("migrate", {}).get("condition") == "service_completed_successfully",
              where, f"{name}: must wait for migrate (condition: service_completed_successfully)")
        for store in DATA_STORES:
            check(isinstance(deps, dict) and deps.get(store, {}).get("condition") == "service_healthy",
                  where, f"{name}: must wait for {store} (condition: service_healthy)")
    nginx_deps = (services.get("nginx") or {}).get("depends_on") or {}
    check(isinstance(nginx_deps, dict) and nginx_deps.get("api", {}).get("condition") == "service_healthy",
          where, "nginx: must wait for a healthy api")

    # Settings per service (of the binaries that are built).
    for name in accepted:
        env = (services.get(name) or {}).get("environment") or {}
        check(isinstance(env, dict), where, f"{name}: environment must be a mapping")
        compare(where, name, set(env), accepted[name], every, strict_missing=name != "migrate")

    # Binds, healthchecks, probe URLs.
    for name, (var, port) in BIND.items():
        svc = services.get(name) or {}
        env = svc.get("environment") or {}
        bind = env.get(var, "")
        check(all_interfaces(bind) and port_of(bind) == port, where,
              f"{name}: {var}={bind!r}, expected 0.0.0.0:{port} (reachable from the other containers)")
        test = " ".join(map(str, (svc.get("healthcheck") or {}).get("test") or []))
        check(f":{port}/health/" in test, where, f"{name}: the healthcheck does not probe port {port}: {test!r}")
    api_env = (services.get("api") or {}).get("environment") or {}
    for var, target in PROBE_URLS.items():
        url = urlsplit(str(api_env.get(var, "")))
        check(url.hostname == target and url.port == BIND[target][1], where,
              f"api: {var}={api_env.get(var)!r}, expected http://{target}:{BIND[target][1]}")
    for var in ("ALLOW_LOOPBACK_TARGETS", "RUN_MIGRATIONS"):
        for name in ("api", "scraper-worker"):
            env = (services.get(name) or {}).get("environment") or {}
            if var in env:
                check(str(env[var]).lower() == "false", where, f"{name}: {var} must be false in production")

    # Default resource limits and concurrency.
    for name, (cpu, mem) in SEED_RESOURCES.items():
        limits = (((services.get(name) or {}).get("deploy") or {}).get("resources") or {}).get("limits") or {}
        check(limits and cpu_millis(limits.get("cpus", 0)) == cpu and mem_mib(limits.get("memory", ""), True) == mem,
              where, f"{name}: limits {limits}, the default is {cpu / 1000:g} CPU / {mem} MB")
    for var, (name, value) in SEED_CONCURRENCY.items():
        raw = ((services.get(name) or {}).get("environment") or {}).get(var)
        check(interpolation_default(raw) == value or str(raw) == value, where,
              f"{name}: {var} is {raw!r}, the default is {value} (e.g. ${{{var}:-{value}}})")

    # nginx: the published container port is one nginx listens on; the upstream is the api's port.
    conf = root / "nginx" / "nginx.conf"
    if conf.exists():
        conf_text = conf.read_text()
        listens = {int(p) for p in re.findall(r"^\s*listen\s+(?:[\d.]+:)?(\d+)", conf_text, re.M)}
        for mapping in (services.get("nginx") or {}).get("ports") or []:
            container_port = int(str(mapping).rsplit(":", 1)[-1].split("/")[0])
            check(container_port in listens, where,
                  f"nginx: publishes container port {container_port}, nginx/nginx.conf listens on {sorted(listens)}")
        check(re.search(r"server\s+api:8000\b", conf_text) is not None, "nginx/nginx.conf",
              "the upstream is not api:8000 (the api service and its API_BIND port)")

    # The values, as .env.production.example makes them (its empty secrets
    # filled with a placeholder).
    example = read_env_file(root / ".env.production.example")
    for name in accepted:
        env = (services.get(name) or {}).get("environment") or {}
        if isinstance(env, dict):
            try_settings(where, name, {k: interpolate(v, example) for k, v in env.items()}, bin_dir)

    live = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", live))


# ------------------------------------------------------------ env example
def check_env_example(root: pathlib.Path, known: set[str], complete: bool, interpolated: set[str]) -> None:
    """`known`: the settings of the binaries that are built; `complete`: all are."""
    where = ".env.production.example"
    active, documented = {}, set()
    for line in (root / where).read_text().splitlines():
        if m := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            active[m.group(1)] = m.group(2)
        elif m := re.match(r"^#\s*([A-Z][A-Z0-9_]*)=", line):
            documented.add(m.group(1))
    for name in sorted(known - set(active) - documented):
        check(False, where, f"{name} (read by a binary) is not listed")
    for name in sorted(set(active) & known - interpolated):
        check(False, where, f"{name} is set here but docker-compose.prod.yml never reads ${{{name}}}: it has no effect")
    if complete:
        for name in sorted(set(active) - known - interpolated):
            if not name.startswith("COMPOSE_"):
                check(False, where, f"{name} is read by no binary and not by docker-compose.prod.yml")
    for name in sorted(interpolated - set(active)):
        check(False, where, f"docker-compose.prod.yml reads ${{{name}}}, which is not listed here")
    for var, (_, value) in SEED_CONCURRENCY.items():
        check(active.get(var) == value, where, f"{var}={active.get(var)!r}, the default is {value}")
    check(True, where, "")


# --------------------------------------------------------------------- chart
def check_chart(root: pathlib.Path, bin_dir: pathlib.Path, accepted: dict[str, set[str]], every: set[str] | None) -> None:
    import helm_python as helm

    chart = root / "deploy" / "helm" / "pricewatch"
    where = "deploy/helm/pricewatch"
    values_path = chart / "ci" / "default-values.yaml"
    values = yaml.safe_load(values_path.read_text()) or {}
    with helm.Chart.load(chart) as loaded:
        defaults = loaded.values
        manifests = loaded.render(values, name="pricewatch", namespace="pricewatch", is_install=True)
    objects = [
        d
        for source, text in manifests.items()
        if text.strip() and not source.endswith("NOTES.txt")
        for d in yaml.safe_load_all(text)
        if isinstance(d, dict)
    ]
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj.get("kind", ""), []).append(obj)
    configmaps = {o["metadata"]["name"]: o.get("data") or {} for o in by_kind.get("ConfigMap", [])}
    secrets = {o["metadata"]["name"]: o.get("stringData") or {} for o in by_kind.get("Secret", [])}

    def component(obj: dict) -> str:
        return ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component", "")

    def pod_env(pod_spec: dict) -> tuple[set[str], dict[str, str], dict]:
        container = (pod_spec.get("containers") or [{}])[0]
        names, values_ = set(), {}
        for item in container.get("env") or []:
            names.add(item["name"])
            if "value" in item:
                values_[item["name"]] = item["value"]
            ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
            if ref:
                values_[item["name"]] = secrets.get(ref.get("name"), {}).get(ref.get("key"), PLACEHOLDER_SECRET)
        for source in container.get("envFrom") or []:
            ref = (source.get("configMapRef") or {}).get("name")
            if ref:
                check(ref in configmaps, where, f"envFrom names ConfigMap {ref}, which the chart does not render")
                names |= set(configmaps.get(ref, {}))
                values_.update(configmaps.get(ref, {}))
        return names, values_, container

    workloads = {component(d): d for d in by_kind.get("Deployment", [])}
    jobs = {component(j): j for j in by_kind.get("Job", [])}
    for name in BIND:
        check(name in workloads, where, f"no Deployment for {name}")
    check("migrate" in jobs, where, "no migration Job")

    for name, obj in [*workloads.items(), *jobs.items()]:
        if name not in SERVICES:
            continue
        spec = obj["spec"]["template"]["spec"]
        names, env_values, container = pod_env(spec)
        if name in accepted:
            compare(where, name, names, accepted[name], every, strict_missing=name != "migrate")
            try_settings(where, name, env_values, bin_dir)
        if name in BIND:
            var, port = BIND[name]
            ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
            check(all_interfaces(env_values.get(var, "")) and port_of(env_values.get(var, "")) == port == ports.get("http"),
                  where, f"{name}: {var}={env_values.get(var)!r}, containerPort {ports.get('http')}, expected 0.0.0.0:{port}")
            for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready"), ("startupProbe", "/health/live")):
                get = (container.get(probe) or {}).get("httpGet") or {}
                check(get.get("path") == path and get.get("port") in ("http", port), where,
                      f"{name}: {probe} should GET {path} on its own port, is {get}")
            limits = (container.get("resources") or {}).get("limits") or {}
            cpu, mem = SEED_RESOURCES[name]
            check(cpu_millis(limits.get("cpu", 0)) == cpu and mem_mib(limits.get("memory", ""), False) == mem, where,
                  f"{name}: limits {limits}, the default is {cpu / 1000:g} CPU / {mem} MiB")
            # The defaults in values.yaml too, not only the rendered scenario.
            default_limits = ((defaults.get(CHART_VALUES_KEY[name]) or {}).get("resources") or {}).get("limits") or {}
            check(default_limits == limits, where, f"{name}: values.yaml limits {default_limits} differ from the rendered {limits}")
        if name == "api":
            for var, target in PROBE_URLS.items():
                url = urlsplit(env_values.get(var, ""))
                check(url.port == BIND[target][1] and (url.hostname or "").endswith(target), where,
                      f"api: {var}={env_values.get(var)!r} does not point at the {target} Service port {BIND[target][1]}")
        for var in ("ALLOW_LOOPBACK_TARGETS", "RUN_MIGRATIONS"):
            if var in env_values:
                check(env_values[var].lower() == "false", where, f"{name}: {var} must be false")
        for var, (svc, value) in SEED_CONCURRENCY.items():
            if svc == name:
                check(env_values.get(var) == value, where, f"{name}: {var}={env_values.get(var)!r}, the default is {value}")

    scheduler = workloads.get("scheduler", {}).get("spec", {})
    check(scheduler.get("replicas") == 1 and (scheduler.get("strategy") or {}).get("type") == "Recreate", where,
          "scheduler: must run exactly one replica with the Recreate strategy")
    check(any(component(h) == "api" for h in by_kind.get("HorizontalPodAutoscaler", [])), where, "no HPA for the api")
    prefix = (defaults.get("config") or {}).get("QUEUE_PREFIX", "pricewatch")
    queues = {component(s): s["spec"]["triggers"][0]["metadata"].get("queueName") for s in by_kind.get("ScaledObject", [])}
    check(queues.get("scraper-worker") == f"{prefix}.check_price", where,
          f"scraper-worker ScaledObject watches {queues.get('scraper-worker')!r}, expected {prefix}.check_price")
    check(queues.get("notifier") == f"{prefix}.send_notification", where,
          f"notifier ScaledObject watches {queues.get('notifier')!r}, expected {prefix}.send_notification")
    for kind in ("PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "Ingress"):
        check(kind in by_kind, where, f"renders no {kind}")


def main() -> int:
    root = pathlib.Path(sys.argv[1]).resolve()
    bin_dir = pathlib.Path(sys.argv[2]).resolve()
    accepted = accepted_settings(pathlib.Path(sys.argv[3]).resolve())
    known = set().union(*accepted.values())
    complete = len(accepted) == len(SERVICES)
    for service, names in accepted.items():
        print(f"     {' '.join([SERVICES[service][0], *SERVICES[service][1]])}: {len(names)} settings")
    interpolated = check_compose(root, bin_dir, accepted, known if complete else None)
    check_env_example(root, known, complete, interpolated)
    check_chart(root, bin_dir, accepted, known if complete else None)
    for problem in problems:
        print(f"FAIL {problem}")
    if not complete:
        print("     (the settings of the missing binaries were not compared; everything else was)")
    print(f"check-settings: {checks - len(problems)} checks passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
