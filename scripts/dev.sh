#!/usr/bin/env bash
# `make dev`: the whole system on this machine. Dependencies, database and
# migrations, the five services, the demo shop, the SMTP sink, the nginx gateway
# on :8080, a demo user with demo watches. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p .dev

# Settings: .env.example, then .env overrides, then the dev-only ones below.
# The demo shop is on loopback, so loopback targets are allowed unless the
# command line says otherwise (`ALLOW_LOOPBACK_TARGETS=false make dev` runs
# with production's address policy; the demo watches then end `refused`).
loopback="${ALLOW_LOOPBACK_TARGETS:-true}"
set -a
# shellcheck disable=SC1091
source .env.example
# shellcheck disable=SC1091
[ -f .env ] && source .env
ALLOW_LOOPBACK_TARGETS=$loopback
DEMO_SHOP_DRIFT_STEP_SECS="${DEMO_SHOP_DRIFT_STEP_SECS:-5}"
set +a

log() { printf '\033[1m[dev]\033[0m %s\n' "$*"; }
pids=()
cleanup() {
  # A second Ctrl-C, or make passing its TERM on to us, must not cut the
  # cleanup short (nginx would stay up): ignore both until it is done.
  trap '' INT TERM
  trap - EXIT ERR
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f .dev/nginx/nginx.pid ]; then kill "$(cat .dev/nginx/nginx.pid)" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  log "stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
# Any step that fails says which one, instead of a bare exit status.
trap 'echo "dev: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

scripts/deps.sh
scripts/ensure-nginx.sh >/dev/null
scripts/ensure-smtp-sink.sh
scripts/ensure-chromium.sh

log "building (first time takes a few minutes)"
cargo build --workspace --bins

admin_url="${DATABASE_URL%/*}/postgres"
db_name="${DATABASE_URL##*/}"
if ! psql "$admin_url" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
  log "creating database $db_name"
  psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
fi
target/debug/pricewatch migrate

start() { # name command...; logs prefixed with the name, $! is the service itself
  local name=$1; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
start demo-shop target/debug/pricewatch-demo-shop
start api target/debug/pricewatch-api
start scraper-worker target/debug/pricewatch-scraper-worker
start scheduler target/debug/pricewatch-scheduler
start notifier target/debug/pricewatch-notifier
start renderer target/debug/pricewatch-renderer

scripts/render-nginx.sh 8080 "${API_BIND}" "$root/.dev/nginx" >/dev/null
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx_bin" -p "$root/.dev/nginx" -e "$root/.dev/nginx/logs/error.log" -c "$root/.dev/nginx/nginx.conf"

gateway_up=false
for _ in $(seq 1 100); do
  if curl -fsS http://127.0.0.1:8080/health/live >/dev/null 2>&1; then gateway_up=true; break; fi
  sleep 0.2
done
if [ "$gateway_up" != true ]; then
  echo "dev: the api did not answer through nginx on :8080 within 20 s; see the [api] lines above and .dev/nginx/logs/error.log" >&2
  exit 1
fi

demo_email=demo@pricewatch.local
demo_password="demo-password-1"
# The demo data goes straight to the database through the admin CLI: seeding
# never uses the public login (and its rate limit), however often make dev runs.
seed() {
  if ! "$@"; then
    echo "dev: seeding the demo data failed: $*" >&2
    exit 1
  fi
}
seed env PRICEWATCH_PASSWORD="$demo_password" target/debug/pricewatch create-user --email "$demo_email" --if-missing
shop="http://${DEMO_SHOP_BIND}"
# The laptop is on sale below the demo watch's target: its first check (within
# seconds) sends a real alert email to the SMTP sink.
curl -fsS -o /dev/null -X POST "$shop/products/gaming-laptop/price" -H 'Content-Type: application/json' -d '{"amount":"1149.00"}' \
  || echo "dev: the demo shop did not take the sale price; the laptop alert may not fire" >&2
for watch in "espresso-machine 235.00 6h" "gaming-laptop 1200.00 24h --check-now" "electric-kettle 35.00 12h"; do
  read -r slug target freq now <<<"$watch"
  # shellcheck disable=SC2086 # $now is one optional flag
  seed target/debug/pricewatch add-watch --email "$demo_email" --url "$shop/products/$slug" \
    --target-price "$target" --frequency "$freq" --allow-loopback $now >/dev/null
done
# The same espresso machine as a page built by scripts: its auto watch is
# read through the renderer (fetched_with = browser).
seed target/debug/pricewatch add-watch --email "$demo_email" --url "$shop/js/products/espresso-machine" \
  --target-price 235.00 --frequency 6h --allow-loopback --check-now >/dev/null

cat <<MSG

  PriceWatch is running. Open the web app:

    Web app               http://localhost:8080/
    Demo login            $demo_email / $demo_password

    API (through nginx)   http://localhost:8080/api/v1
    API docs              http://localhost:8080/docs/
    Health                http://localhost:8080/health/detailed
    Demo shop             $shop/  (script-built pages: $shop/js/products/espresso-machine)
    Emails (SMTP sink)    http://127.0.0.1:8025/
  The demo gaming laptop is on sale below its watch's target: an alert email
  reaches the SMTP sink within a minute (http://127.0.0.1:8025/).
  Try:
    curl -s localhost:8080/api/v1/auth/login -H 'Content-Type: application/json' \\
      -d '{"email":"$demo_email","password":"$demo_password"}'
  Drop a price in the demo shop:
    curl -s -X POST $shop/products/gaming-laptop/price -H 'Content-Type: application/json' -d '{"amount":"999.00"}'
  Ctrl-C stops everything.

MSG
wait
