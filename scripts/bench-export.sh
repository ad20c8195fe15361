#!/usr/bin/env bash
# Export benchmark: the api's memory while it streams a large export.
#
# Seeds a throwaway database with one user, BENCH_WATCHES (1,000) watches on
# as many products, and BENCH_READINGS (1,000) readings per product (so
# 1,000,000 by default), all in SQL (generate_series), then runs the api
# binary (debug by default; BENCH_PROFILE=release for the release build) with
# one HTTP worker and a personal API token, and downloads
# GET /api/v1/export?format=json and ?format=csv to /dev/null. The api's
# resident memory (VmRSS) is sampled every 20 ms.
#
# Prints `key value` lines (also appended to $BENCH_OUT if set): the idle RSS
# after a warm-up request, and for each format the peak RSS, the peak above
# idle, the bytes streamed, the seconds taken and the MB/s.
# Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
n_watches="${BENCH_WATCHES:-1000}"
n_readings="${BENCH_READINGS:-1000}"
profile="${BENCH_PROFILE:-debug}"
target_dir="${CARGO_TARGET_DIR:-target}"
run=$$
db="pw_bench_export_$run"
work=$(mktemp -d)
api_pid=""
cleanup() {
  if [[ -n $api_pid ]]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
result() { echo "$1 $2"; [[ -z ${BENCH_OUT:-} ]] || echo "$1 $2" >>"$BENCH_OUT"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

case $profile in
  release) cargo build -q --release -p pricewatch-api -p pricewatch-cli ;;
  debug) cargo build -q -p pricewatch-api -p pricewatch-cli ;;
  *) echo "BENCH_PROFILE must be debug or release" >&2; exit 2 ;;
esac
# Copied at once: another build sharing the target directory cannot swap
# the binaries while the benchmark runs.
cp "$target_dir/$profile/pricewatch-api" "$target_dir/$profile/pricewatch" "$work/"
bin="$work"

psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
db_url="${admin_url%/*}/$db"
DATABASE_URL="$db_url" "$bin/pricewatch" migrate >/dev/null

token="pw_$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(43)))')"
echo "seeding $n_watches watches x $n_readings readings"
seed_started=$(date +%s)
psql "$db_url" -XAtq -v ON_ERROR_STOP=1 <<SQL
INSERT INTO users (id, email, password_hash) VALUES
  ('00000000-0000-0000-0000-000000000001', 'bench@example.com', 'not-a-hash');
INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, scopes)
VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'bench',
        sha256(convert_to('$token', 'UTF8')), left('$token', 9), '{read}');
INSERT INTO products (id, url, host, title, last_price, currency, check_interval_hours)
SELECT gen_random_uuid(), 'https://shop-' || (g % 20) || '.example.com/p/' || g,
       'shop-' || (g % 20) || '.example.com', 'Product ' || g || ', "bench" edition', 100 + g % 50, 'EUR', 24
FROM generate_series(1, $n_watches) g;
INSERT INTO watches (id, user_id, product_id, target_price, frequency_hours, tags)
SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', id, 90, 24, '{bench}' FROM products;
INSERT INTO price_history (product_id, job_id, amount, currency, in_stock, observed_at)
SELECT p.id, gen_random_uuid(), 100 + (g % 97) / 10.0, 'EUR', g % 5 <> 0,
       now() - make_interval(hours => g)
FROM products p, generate_series(1, $n_readings) g;
ANALYZE;
SQL
result seed_seconds "$(( $(date +%s) - seed_started ))"
result readings "$(psql "$db_url" -XAtqc 'SELECT count(*) FROM price_history')"

port=$(free_port)
DATABASE_URL="$db_url" REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="pwbx$run" \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' QUEUE_PREFIX="pwbx$run" \
  SECRET_KEY=bench-export-secret-key-0123456789abcdef API_BIND="127.0.0.1:$port" \
  API_WORKERS=1 RUST_LOG=warn "$bin/pricewatch-api" >"$work/api.log" 2>&1 &
api_pid=$!
api="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$api/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$api/api/v1/watches" -H "Authorization: Bearer $token" >/dev/null
curl -fsS "$api/api/v1/export?history=false" -H "Authorization: Bearer $token" >/dev/null
sleep 1
idle=$(rss_kib "$api_pid")
result profile "$profile"
result idle_rss_kib "$idle"

for format in json csv; do
  started=$(date +%s.%N)
  curl -fsS "$api/api/v1/export?format=$format" -H "Authorization: Bearer $token" \
    -o /dev/null -w '%{size_download}\n' >"$work/size" &
  curl_pid=$!
  peak=$idle
  deadline=$(( $(date +%s) + 1800 ))
  while kill -0 "$curl_pid" 2>/dev/null; do
    now_rss=$(rss_kib "$api_pid")
    (( now_rss > peak )) && peak=$now_rss
    (( $(date +%s) < deadline )) || { kill "$curl_pid"; echo "export took over 30 min" >&2; exit 1; }
    sleep 0.02
  done
  wait "$curl_pid"
  seconds=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
  bytes=$(cat "$work/size")
  result "${format}_bytes" "$bytes"
  result "${format}_seconds" "$seconds"
  result "${format}_mb_per_s" "$(python3 -c "print(f'{$bytes / 1e6 / $seconds:.1f}')")"
  result "${format}_peak_rss_kib" "$peak"
  result "${format}_peak_above_idle_kib" "$(( peak - idle ))"
done
