#!/usr/bin/env bash
# End to end with the real binaries: demo shop, api, scheduler, scraper-worker
# and notifier on their own database and queue/key prefixes, the SMTP sink.
# A user watches a demo-shop product; the price drops below the target -> exactly
# one email; it stays low -> no second email; it rises above the target and drops
# again -> one more. Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
run=$$
db="pw_test_e2e_$run"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build -q --bins
scripts/ensure-smtp-sink.sh >/dev/null
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${admin_url%/*}/$db" REDIS_URL=redis://127.0.0.1:6379/0 \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' REDIS_KEY_PREFIX="pwe2e$run" QUEUE_PREFIX="pwe2e$run" \
  SECRET_KEY=e2e-test-secret-key-0123456789abcdefghij ALLOW_LOOPBACK_TARGETS=true \
  SCHEDULER_TICK_SECONDS=1 SCHEDULER_JITTER_SECONDS=0 DOMAIN_MIN_INTERVAL_MS=0 CHECK_NOW_MIN_INTERVAL_SECONDS=0 \
  SMTP_HOST=127.0.0.1 SMTP_PORT=1025 RUST_LOG=warn,pricewatch=info
target/debug/pricewatch migrate >/dev/null

shop_port=$(free_port) api_port=$(free_port)
DEMO_SHOP_BIND="127.0.0.1:$shop_port" target/debug/pricewatch-demo-shop >"$work/shop.log" 2>&1 & pids+=($!)
API_BIND="127.0.0.1:$api_port" target/debug/pricewatch-api >"$work/api.log" 2>&1 & pids+=($!)
SCRAPER_WORKER_HEALTH_BIND="127.0.0.1:$(free_port)" target/debug/pricewatch-scraper-worker >"$work/worker.log" 2>&1 & pids+=($!)
SCHEDULER_HEALTH_BIND="127.0.0.1:$(free_port)" target/debug/pricewatch-scheduler >"$work/scheduler.log" 2>&1 & pids+=($!)
NOTIFIER_HEALTH_BIND="127.0.0.1:$(free_port)" target/debug/pricewatch-notifier >"$work/notifier.log" 2>&1 & pids+=($!)

api="http://127.0.0.1:$api_port"
shop="http://127.0.0.1:$shop_port"
for _ in $(seq 1 100); do curl -fsS "$api/health/live" >/dev/null 2>&1 && curl -fsS "$shop/" >/dev/null 2>&1 && break; sleep 0.1; done

email="e2e-$run-$RANDOM@example.test"
curl -fsS "$api/api/v1/auth/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"e2e secret 42\"}" >/dev/null
token=$(curl -fsS "$api/api/v1/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"e2e secret 42\"}" | jq -r .access_token)
auth=(-H "Authorization: Bearer $token")
set_price() { curl -fsS -X POST "$shop/products/gaming-laptop/price" -H 'Content-Type: application/json' -d "{\"amount\":\"$1\"}" >/dev/null; }
set_price 1299.99
watch=$(curl -fsS "$api/api/v1/watches" "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"url\":\"$shop/products/gaming-laptop\",\"target_price\":\"1100.00\",\"frequency\":\"6h\"}")
watch_id=$(jq -r .id <<<"$watch")
product_id=$(jq -r .product.id <<<"$watch")

# Waits until the product's last check is newer than $1 (an RFC 3339 time).
checked_after() {
  local since=$1 at
  for _ in $(seq 1 60); do
    at=$(curl -fsS "$api/api/v1/watches/$watch_id" "${auth[@]}" | jq -r '.product.last_check.checked_at // ""')
    if [[ -n $at && $at > $since ]]; then return 0; fi
    sleep 0.5
  done
  fail "no check recorded after $since"
}
check_now() {
  local since
  since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  curl -fsS -X POST "$api/api/v1/watches/$watch_id/check" "${auth[@]}" >/dev/null
  checked_after "$since"
}
emails() { curl -fsS "http://127.0.0.1:8025/api/email?to.address=$email" | jq length; }
wait_emails() { # expected count, within ~15 s
  local n=0
  for _ in $(seq 1 60); do n=$(emails); [[ $n -ge $1 ]] && break; sleep 0.25; done
  sleep 2; n=$(emails)
  [[ $n == "$1" ]] || fail "expected $1 email(s) to $email, got $n"
  echo "ok   $n email(s) in the sink"
}

checked_after 1970-01-01T00:00:00Z
product=$(curl -fsS "$api/api/v1/products/$product_id" "${auth[@]}")
price=$(jq -r .last_price <<<"$product")
[[ $price == 1299.99 ]] || fail "first check recorded $price, expected 1299.99"
how=$(jq -r '[.last_check.method, .last_check.sources_agree, .last_check.decision] | map(tostring) | join(" / ")' <<<"$product")
[[ $(jq -r '.last_check.method != null and .last_check.sources_agree != null and (.last_check.decision | length) > 0' <<<"$product") == true ]] \
  || fail "the last check does not say how the price was found: $how"
echo "ok   how it was found: $how"
echo "ok   first check recorded 1299.99 (above the target): no email"
[[ $(emails) == 0 ]] || fail "an email before any drop"

set_price 999.00; check_now; wait_emails 1
subject=$(curl -fsS "http://127.0.0.1:8025/api/email?to.address=$email" | jq -r '.[0].subject')
[[ $subject == *999* ]] || fail "subject without the new price: $subject"
echo "ok   subject: $subject"
check_now; check_now; wait_emails 1
echo "ok   the price stays low: no second email"
set_price 1250.00; check_now
set_price 990.00; check_now; wait_emails 2
echo "ok   rose above the target and dropped again: one more email"
history=$(curl -fsS "$api/api/v1/products/$product_id/prices" "${auth[@]}" | jq .total)
notes=$(curl -fsS "$api/api/v1/notifications" "${auth[@]}" | jq '[.items[] | select(.status == "sent")] | length')
[[ $notes == 2 ]] || fail "expected 2 sent notifications in the API, got $notes"
echo "ok   price history has $history points; the API lists 2 sent alerts"
echo "== e2e passed"
