#!/usr/bin/env bash
# Checks that docker-compose.prod.yml, the Helm chart and .env.production.example
# agree with the settings the binaries accept (read from clap's definitions by
# a Rust test, crates/system-tests/tests/settings.rs, which also checks that
# .env.example documents each one) and with the default resource limits. Prints
# one line per disagreement, naming the file, the service and the setting.
#
# Usage: scripts/check-settings.sh              build the binaries (cargo build -p … --bins), check
#        PRICEWATCH_BIN_DIR=DIR scripts/check-settings.sh   use binaries already built in DIR
#                                               (and DIR/settings.json, if there)
#        scripts/check-settings.sh --self-test  check the checker: against stand-in binaries
#                                               that read what compose sets, the files pass,
#                                               and a broken copy of each one fails
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
"$root/scripts/lint.sh" --install
python="$root/.tools/venv/bin/python"
checker="$root/scripts/lint/check_settings.py"

# Stand-in binaries whose --help lists, the way clap does, the settings that
# docker-compose.prod.yml gives each service: the self-test then starts from
# files that agree and checks that each breakage below is reported.
fake_binaries() { # DIR
    "$python" - "$1" docker-compose.prod.yml <<'PY'
import json, os, sys, yaml
out, compose = sys.argv[1], sys.argv[2]
binaries = {"api": ["pricewatch-api"], "scraper-worker": ["pricewatch-scraper-worker"],
            "scheduler": ["pricewatch-scheduler"], "notifier": ["pricewatch-notifier"],
            "renderer": ["pricewatch-renderer"], "migrate": ["pricewatch"]}
services = yaml.safe_load(open(compose))["services"]
os.makedirs(out, exist_ok=True)
for service, (binary,) in binaries.items():
    names = sorted(services[service].get("environment") or {})
    lines = [f"      --{n.lower()} <{n}>  [env: {n}=]" for n in names]
    path = os.path.join(out, binary)
    with open(path, "w") as f:
        f.write("#!/bin/sh\ncat <<'HELP'\nUsage: " + binary + " [OPTIONS]\n" + "\n".join(lines) + "\nHELP\n")
    os.chmod(path, 0o755)
json.dump({service: sorted(services[service].get("environment") or {}) for service in binaries},
          open(os.path.join(out, "settings.json"), "w"))
PY
}

self_test() {
    local work bins status=0 name
    work=$(mktemp -d "${TMPDIR:-/tmp}/pw-check-settings.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    bins="$work/bin"
    fake_binaries "$bins"
    copy_repo() { # DEST
        mkdir -p "$1/deploy/helm" "$1/nginx"
        cp docker-compose.prod.yml .env.production.example "$1/"
        cp nginx/nginx.conf "$1/nginx/"
        cp -r deploy/helm/pricewatch "$1/deploy/helm/"
    }
    copy_repo "$work/good"
    if "$python" "$checker" "$work/good" "$bins" "$bins/settings.json" >"$work/out" 2>&1; then
        echo "ok   self-test: the files as they are pass against stand-ins reading what compose sets"
    else
        echo "FAIL self-test: the files as they are should pass:"
        sed 's/^/     /' "$work/out"
        status=1
    fi
    # name|file|sed expression|what the report must say: each breaks one
    # thing the checker guards.
    while IFS='|' read -r name file expr expected; do
        rm -rf "$work/bad"
        copy_repo "$work/bad"
        sed -i -e "$expr" "$work/bad/$file"
        if cmp -s "$file" "$work/bad/$file"; then
            echo "FAIL self-test: '$name' changed nothing in $file"
            status=1
        elif "$python" "$checker" "$work/bad" "$bins" "$bins/settings.json" >"$work/out" 2>&1; then
            echo "FAIL self-test: '$name' was not caught"
            status=1
        elif grep -q Traceback "$work/out" || ! grep -q "^FAIL .*$expected" "$work/out"; then
            echo "FAIL self-test: '$name' was not reported as '$expected':"
            sed 's/^/     /' "$work/out"
            status=1
        else
            echo "ok   self-test: caught '$name': $(grep -m1 "^FAIL .*$expected" "$work/out" | cut -c6-)"
        fi
    done <<'CASES'
compose service misses a setting|docker-compose.prod.yml|/FETCH_MAX_REDIRECTS:/d|scraper-worker does not set FETCH_MAX_REDIRECTS
compose sets a misspelt setting|docker-compose.prod.yml|s/SCHEDULER_BATCH_SIZE:/SCHEDULER_BATCH_SIZ:/|sets SCHEDULER_BATCH_SIZ, which no PriceWatch binary reads
compose binds on loopback|docker-compose.prod.yml|s/API_BIND: 0.0.0.0:8000/API_BIND: 127.0.0.1:8000/|api: API_BIND='127.0.0.1:8000'
compose healthcheck on the wrong port|docker-compose.prod.yml|s#127.0.0.1:8003/health/ready#127.0.0.1:8004/health/ready#|notifier: the healthcheck does not probe port 8003
compose resources off the default limits|docker-compose.prod.yml|s/limits: {cpus: "0.25", memory: 256M}/limits: {cpus: "0.25", memory: 512M}/|scheduler: limits .* the default is 0.25 CPU / 256 MB
compose data store publishes a port|docker-compose.prod.yml|s#^    networks: \[backend\]$#    networks: [backend]\n    ports: ["5432:5432"]#|db: publishes ports
compose api concurrency off the default|docker-compose.prod.yml|s/API_WORKERS:-}/API_WORKERS:-8}/|API_WORKERS is
compose nginx port nginx does not listen on|docker-compose.prod.yml|s/HTTP_PORT:-80}:80"/HTTP_PORT:-80}:8080"/|nginx: publishes container port 8080
env example misses a setting|.env.production.example|/^DOMAIN_MAX_CONCURRENCY=/d|DOMAIN_MAX_CONCURRENCY (read by a binary) is not listed
env example sets what compose ignores|.env.production.example|$a UNUSED_SETTING=1|UNUSED_SETTING is read by no binary
chart service misses a setting|deploy/helm/pricewatch/values.yaml|/SMTP_TLS: starttls/d|notifier does not set SMTP_TLS
chart scheduler rolls over|deploy/helm/pricewatch/templates/scheduler.yaml|s/"recreate" true/"recreate" false/|scheduler: must run exactly one replica with the Recreate strategy
chart resources off the default limits|deploy/helm/pricewatch/values.yaml|s/limits: {cpu: 250m, memory: 256Mi}/limits: {cpu: 500m, memory: 256Mi}/|scheduler: limits
chart KEDA watches the wrong queue|deploy/helm/pricewatch/templates/scraper-worker.yaml|s/"check_price"/"check_prices"/|scraper-worker ScaledObject watches
chart probe on another port|deploy/helm/pricewatch/templates/_helpers.tpl|s#httpGet: {path: /health/ready, port: http}#httpGet: {path: /health/ready, port: 9000}#|readinessProbe should GET /health/ready
CASES
    return "$status"
}

if [[ ${1:-} == --self-test ]]; then
    self_test
    exit
fi

if [[ -n ${PRICEWATCH_BIN_DIR:-} ]]; then
    bin_dir=$PRICEWATCH_BIN_DIR
else
    # One package at a time, so that one which does not compile yet does not
    # hide the others; the checker reports its binary as missing (a binary
    # left in target/ by an older build is not used).
    target_dir=$(cargo metadata --format-version 1 --no-deps | "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    bin_dir=$(mktemp -d "${TMPDIR:-/tmp}/pw-bins.XXXXXX")
    trap 'rm -rf "$bin_dir"' EXIT
    for package in pricewatch-api pricewatch-scraper-worker pricewatch-scheduler pricewatch-notifier pricewatch-renderer pricewatch-cli; do
        binary=$package
        [[ $package == pricewatch-cli ]] && binary=pricewatch
        echo "check-settings: cargo build -p $package --bins"
        if cargo build --quiet -p "$package" --bins 2>"$root/.tools/build-$package.log"; then
            [[ -x $target_dir/debug/$binary ]] && ln -s "$target_dir/debug/$binary" "$bin_dir/$binary"
        else
            echo "FAIL check-settings: $package does not build (cargo build -p $package --bins):"
            { grep -E '^error' "$root/.tools/build-$package.log" || true; } | head -5 | sed 's/^/     /'
            echo "     full log: .tools/build-$package.log"
        fi
    done
fi
settings_json="$bin_dir/settings.json"
if [[ ! -f $settings_json ]]; then
    echo "check-settings: reading each binary's settings from clap (cargo test -p pricewatch-system-tests --test settings)"
    PRICEWATCH_SETTINGS_JSON="$settings_json" cargo test --quiet -p pricewatch-system-tests --test settings >/dev/null
fi
"$python" "$checker" "$root" "$bin_dir" "$settings_json"
