#!/usr/bin/env bash
# Self-test of the ops scripts: shellcheck, health.sh, backup/restore, rolling-restart.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/test-ops-scripts.sh [POSTGRES_URL]

Checks the ops scripts for real, on loopback only:
  - shellcheck on scripts/*.sh (skipped when shellcheck is missing)
  - health.sh against a local stub serving a healthy and a degraded
    /health/detailed, and an unreachable port (exit codes 0, 1, 2)
  - backup.sh / restore.sh --native on a scratch database created and dropped
    on the PostgreSQL server of POSTGRES_URL (default
    postgres://postgres@127.0.0.1:5432/postgres; a role allowed to CREATE DATABASE)
  - backup.sh / restore.sh --compose and rolling-restart.sh (compose and k8s)
    through stand-in `docker` and `kubectl` commands that record their
    arguments (pg_dump/psql behind the docker stand-in are real)
Exit 0 when everything passes.
USAGE
}

case ${1:-} in
    -h | --help) usage; exit 0 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
pg_url=${1:-postgres://postgres@127.0.0.1:5432/postgres}
pg_base=${pg_url%/*}
work=$(mktemp -d "${TMPDIR:-/tmp}/pw-ops-test.XXXXXX")
db="pw_ops_test_$$_$RANDOM"
stub_pid=""
cleanup() {
    if [[ -n $stub_pid ]]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failures=0
expect() { # description, command...
    local what=$1
    shift
    if "$@" >"$work/out" 2>&1; then
        echo "ok   $what"
        passed=$((passed + 1))
    else
        echo "FAIL $what" >&2
        sed 's/^/     /' "$work/out" >&2
        failures=$((failures + 1))
    fi
}
exits() { # expected-status command...: succeeds when the command exits with that status
    local want=$1 got=0
    shift
    "$@" || got=$?
    [[ $got == "$want" ]] || { echo "exit status $got, expected $want"; return 1; }
}

# --- shellcheck ----------------------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
    expect "shellcheck scripts/*.sh" shellcheck "$here"/*.sh
else
    echo "skip shellcheck: not installed (apt-get install shellcheck)"
fi

# --- health.sh -------------------------------------------------------------------------------
mkdir -p "$work/www/ok/health" "$work/www/bad/health"
cat >"$work/www/ok/health/detailed" <<'JSON'
{"status":"healthy","timestamp":"2026-01-01T00:00:00Z","service":"pricewatch-api","version":"0.1.0",
 "components":{"database":{"status":"healthy","version":"PostgreSQL 15","tables":6},
               "redis":{"status":"healthy","version":"7.0","connected_clients":3,"used_memory_human":"1M","uptime_in_seconds":5}}}
JSON
cat >"$work/www/bad/health/detailed" <<'JSON'
{"status":"degraded","timestamp":"2026-01-01T00:00:00Z","service":"pricewatch-api","version":"0.1.0",
 "components":{"database":{"status":"healthy"},"redis":{"status":"unhealthy","error":"connection refused"}}}
JSON
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
stub_pid=$!
for ((i = 0; i < 50; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/ok/health/detailed" && break
    sleep 0.1
done
expect "health.sh: healthy -> exit 0" exits 0 "$here/health.sh" "http://127.0.0.1:$port/ok"
expect "health.sh: degraded -> exit 1" exits 1 "$here/health.sh" "http://127.0.0.1:$port/bad"
expect "health.sh: degraded output names the failing component" \
    bash -c "'$here/health.sh' 'http://127.0.0.1:$port/bad' | grep -q 'redis .*unhealthy .*connection refused'"
expect "health.sh: not health JSON -> exit 2" exits 2 "$here/health.sh" -q "http://127.0.0.1:$port/missing"
expect "health.sh: unreachable -> exit 2" exits 2 "$here/health.sh" -q "http://127.0.0.1:1"

# --- backup.sh / restore.sh, native ----------------------------------------------------------------
if psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null 2>&1; then
    export DATABASE_URL="$pg_base/$db"
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE products (id bigserial PRIMARY KEY, url text UNIQUE NOT NULL, last_price numeric(12,2));
CREATE TABLE price_history (id bigserial PRIMARY KEY, product_id bigint REFERENCES products(id),
                            amount numeric(12,2) NOT NULL, observed_at timestamptz DEFAULT now());
INSERT INTO products (url, last_price) VALUES ('https://shop.example/a', 12.34), ('https://shop.example/b', 99.99);
INSERT INTO price_history (product_id, amount) VALUES (1, 12.34), (2, 99.99), (2, 95.00);
SQL
    snapshot() { psql "$DATABASE_URL" -Atc "SELECT count(*), sum(amount) FROM price_history; SELECT string_agg(url || '=' || last_price, ',' ORDER BY id) FROM products"; }
    before=$(snapshot)
    expect "backup.sh --native writes a .sql.gz" "$here/backup.sh" --native -o "$work/backups"
    backup=$(find "$work/backups" -name "pricewatch-$db-*.sql.gz" | head -n 1)
    expect "backup file is mode 600" test "$(stat -c %a "${backup:-/nonexistent}" 2>/dev/null)" = 600
    psql "$DATABASE_URL" -qc "DELETE FROM price_history; UPDATE products SET last_price = 0; INSERT INTO products (url) VALUES ('https://new.example/')"
    expect "restore.sh refuses without --yes and no terminal" exits 2 "$here/restore.sh" --native "$backup" </dev/null
    expect "restore.sh --native --yes" "$here/restore.sh" --native --yes "$backup"
    expect "restored data equals the data at backup time" test "$(snapshot)" = "$before"
    gzip -cd "$backup" | head -n 20 | gzip >"$work/truncated.sql.gz"
    expect "restore.sh refuses a truncated dump" exits 2 "$here/restore.sh" --native --yes "$work/truncated.sql.gz"
    gzip -cd "$backup" | sed 's/^COPY public.price_history/SELECT no_such_column; COPY public.price_history/' | gzip >"$work/broken.sql.gz"
    psql "$DATABASE_URL" -qc "INSERT INTO price_history (product_id, amount) VALUES (1, 1.00)"
    changed=$(snapshot)
    expect "a failing restore exits non-zero" exits 3 "$here/restore.sh" --native --yes "$work/broken.sql.gz"
    expect "a failing restore changes nothing (one transaction)" test "$(snapshot)" = "$changed"
    expect "backup.sh --keep 1 keeps only the newest" bash -c "
        sleep 1.1; '$here/backup.sh' --native -o '$work/backups' --keep 1 >/dev/null &&
        test \$(find '$work/backups' -name 'pricewatch-$db-*.sql.gz' | wc -l) = 1"
    expect "backup.sh fails on an unreachable database and leaves no file" bash -c "
        ! DATABASE_URL=postgres://u:secret@127.0.0.1:1/x '$here/backup.sh' --native -o '$work/unreachable' 2>'$work/err' &&
        ! grep -q secret '$work/err' && test -z \"\$(ls -A '$work/unreachable')\""
    unset DATABASE_URL
else
    echo "skip native backup/restore: cannot create a database on ${pg_url%%@*}@..." >&2
    failures=$((failures + 1))
fi

# --- compose and k8s plumbing through stand-ins -------------------------------------------------
shim="$work/shim"
mkdir -p "$shim/bin" "$shim/state"
touch "$shim/docker-compose.prod.yml"
cat >"$shim/bin/docker" <<'SHIM'
#!/usr/bin/env bash
# Stand-in for docker: records the call, simulates a compose project.
state=${SHIM_STATE:?}
echo "docker $*" >>"$state/calls"
if [[ $1 == compose ]]; then
    shift 3 # compose -f FILE
    case $1 in
        ps)
            case $3 in
                scraper-worker) printf 'cid_sw1\ncid_sw2\n' ;;
                api) echo cid_api ;;
                nginx) echo cid_nginx ;;
                broken) echo cid_bad ;;
            esac ;;
        exec)
            shift 2 # exec -T
            while [[ $1 == -e ]]; do export "${2?}"; shift 2; done
            service=$1; shift
            if [[ $service == db ]]; then # run pg_dump / psql for real against SHIM_DATABASE_URL
                tool=$1; shift; args=()
                while [[ $# -gt 0 ]]; do
                    case $1 in -U | -d) shift 2 ;; *) args+=("$1"); shift ;; esac
                done
                exec "$tool" "${SHIM_DATABASE_URL:?}" "${args[@]}"
            fi ;;
    esac
    exit 0
fi
case $1 in
    inspect)
        cid=${*: -1}
        if [[ $3 == *.Name* ]]; then echo "/pricewatch-$cid-1"; exit 0; fi
        n=$(cat "$state/$cid" 2>/dev/null || echo 0); echo $((n + 1)) >"$state/$cid"
        if [[ $cid == cid_bad ]]; then echo "running unhealthy $(date -u +%FT%TZ)"
        elif ((n < 1)); then echo "running starting $(date -u +%FT%TZ)"
        else echo "running healthy $(date -u +%FT%TZ)"; fi ;;
esac
exit 0
SHIM
cat >"$shim/bin/kubectl" <<'SHIM'
#!/usr/bin/env bash
echo "kubectl $*" >>"${SHIM_STATE:?}/calls"
case " $* " in
    *" get deployments "*"component=api "*) printf 'pricewatch-api' ;;
    *" get deployments "*"component=scraper-worker "*) printf 'pricewatch-scraper-worker' ;;
    *" get deployments "*) ;;
    *" rollout status deployment/bad "*) echo "timed out" >&2; exit 1 ;;
esac
exit 0
SHIM
chmod +x "$shim/bin/docker" "$shim/bin/kubectl"
calls="$shim/state/calls"
compose_file="$shim/docker-compose.prod.yml"

if psql "$pg_url" -qc "SELECT 1" >/dev/null 2>&1 && psql "$pg_base/$db" -qc "SELECT 1" >/dev/null 2>&1; then
    : >"$calls"
    expect "backup.sh --compose runs pg_dump in the db service" bash -c "
        env -u DATABASE_URL PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' SHIM_DATABASE_URL='$pg_base/$db' \
            '$here/backup.sh' --compose -f '$compose_file' -o '$work/cbackups' >/dev/null &&
        grep -q 'compose -f $compose_file exec -T db pg_dump -U pricewatch -d pricewatch' '$calls'"
    cbackup=$(find "$work/cbackups" -name '*.sql.gz' | head -n 1)
    : >"$calls"
    expect "restore.sh --compose --stop-services: stop, psql in db, start" bash -c "
        env -u DATABASE_URL PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' SHIM_DATABASE_URL='$pg_base/$db' \
            '$here/restore.sh' --compose --yes --stop-services -f '$compose_file' '$cbackup' &&
        grep -n '' '$calls' | tr '\n' ' ' |
            grep -q '1:docker compose .* stop api scheduler scraper-worker notifier 2:docker compose .* exec -T .* db psql .* --single-transaction 3:docker compose .* start api scheduler scraper-worker notifier'"
fi

: >"$calls"
expect "rolling-restart compose: one container at a time, then gateway reload" bash -c "
    env PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' '$here/rolling-restart.sh' compose -f '$compose_file' --timeout 30 &&
    grep -E 'restart|exec' '$calls' | tr '\n' ' ' |
        grep -q 'restart -t 30 cid_sw1 docker restart -t 30 cid_sw2 docker restart -t 30 cid_api .*exec -T nginx sh -c nginx -t -q && nginx -s reload'"
: >"$calls"
expect "rolling-restart compose: stops at an unhealthy container" bash -c "
    ! env PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' '$here/rolling-restart.sh' compose -f '$compose_file' --timeout 30 broken api &&
    test \$(grep -c 'docker restart' '$calls') = 1"
: >"$calls"
expect "rolling-restart compose --dry-run changes nothing" bash -c "
    env PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' '$here/rolling-restart.sh' compose -f '$compose_file' --dry-run api &&
    ! grep -q 'docker restart' '$calls'"
: >"$calls"
expect "rolling-restart k8s: the chart's deployments, workers first, restart + status each" bash -c "
    env PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' '$here/rolling-restart.sh' k8s -n pw 2>/dev/null &&
    grep rollout '$calls' | tr '\n' ' ' | grep -q 'rollout restart deployment/pricewatch-scraper-worker kubectl --namespace pw rollout status deployment/pricewatch-scraper-worker --timeout=180s kubectl --namespace pw rollout restart deployment/pricewatch-api kubectl --namespace pw rollout status deployment/pricewatch-api' &&
    grep -q 'get deployments -l app.kubernetes.io/part-of=pricewatch,app.kubernetes.io/component=notifier' '$calls'"
: >"$calls"
expect "rolling-restart k8s: stops at a rollout that does not finish" bash -c "
    ! env PATH='$shim/bin:$PATH' SHIM_STATE='$shim/state' '$here/rolling-restart.sh' k8s -n pw bad pricewatch-api 2>/dev/null &&
    ! grep -q 'deployment/pricewatch-api' '$calls'"

echo "== $passed passed, $failures failed"
((failures == 0))
