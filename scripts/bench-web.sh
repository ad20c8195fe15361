#!/usr/bin/env bash
# The web app's render time and Lighthouse scores.
#
# Starts the api (debug build by default; BENCH_PROFILE=release for the
# release build) on its own database with one user who watches 200 products,
# each with 30 readings, then:
#  1. times BENCH_REQUESTS (500) requests of the watch list `GET /` on one
#     kept-alive connection, after 20 warm-up requests, and prints p50/p95;
#  2. runs Lighthouse 12 (npm, through npx) with Debian's Chromium
#     (CHROME_PATH, /usr/bin/chromium by default) on the sign-in page, the
#     200-watch list (the session cookie passed with --extra-headers) and a
#     product page, and prints the accessibility, best-practices and
#     performance scores. BENCH_LIGHTHOUSE=0 skips this part.
# Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
n_watches="${BENCH_WATCHES:-200}"
n_requests="${BENCH_REQUESTS:-500}"
profile="${BENCH_PROFILE:-debug}"
target_dir="${CARGO_TARGET_DIR:-target}"
chrome="${CHROME_PATH:-/usr/bin/chromium}"
run=$$
db="pw_bench_web_$run"
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

case $profile in
  release) cargo build -q --release -p pricewatch-api -p pricewatch-cli ;;
  debug) cargo build -q -p pricewatch-api -p pricewatch-cli ;;
  *) echo "BENCH_PROFILE must be debug or release" >&2; exit 2 ;;
esac
cp "$target_dir/$profile/pricewatch-api" "$target_dir/$profile/pricewatch" "$work/"
bin="$work"
result profile "$profile"

psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
db_url="${admin_url%/*}/$db"
DATABASE_URL="$db_url" "$bin/pricewatch" migrate >/dev/null

port=$(free_port)
DATABASE_URL="$db_url" REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="pwbw$run" \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' QUEUE_PREFIX="pwbw$run" \
  SECRET_KEY=bench-web-secret-key-0123456789abcdef API_BIND="127.0.0.1:$port" \
  AUTH_RATE_LIMIT_PER_MINUTE=1000 API_WORKERS=2 RUST_LOG=warn \
  "$bin/pricewatch-api" >"$work/api.log" 2>&1 &
api_pid=$!
api="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$api/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done

email="bench-web@example.com"
password="bench web password 42"
curl -fsS "$api/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null
psql "$db_url" -XAtq -v ON_ERROR_STOP=1 <<SQL
INSERT INTO products (id, url, host, title, image_url, last_price, currency, in_stock,
                      check_status, last_checked_at, check_interval_hours, next_check_at)
SELECT gen_random_uuid(), 'https://shop-' || (g % 12) || '.example.com/p/' || g,
       'shop-' || (g % 12) || '.example.com', 'Product ' || g || ' with a longer title',
       NULL, 100 + g % 50, 'EUR', true, 'ok', now() - interval '1 hour', 24, now() + interval '5 hours'
FROM generate_series(1, $n_watches) g;
INSERT INTO watches (id, user_id, product_id, target_price, frequency_hours, tags)
SELECT gen_random_uuid(), (SELECT id FROM users WHERE email = '$email'), id, 110, 24, '{}'
FROM products;
INSERT INTO price_history (product_id, job_id, amount, currency, in_stock, observed_at)
SELECT p.id, gen_random_uuid(), 100 + (g * 7 % 50), 'EUR', true, now() - make_interval(days => g)
FROM products p, generate_series(0, 29) g;
ANALYZE;
SQL

# A session, as a browser gets it: the form's CSRF token, then the POST.
jar="$work/cookies"
csrf=$(curl -fsS -c "$jar" "$api/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -fsS -b "$jar" -c "$jar" -o /dev/null "$api/login" \
  --data-urlencode "email=$email" --data-urlencode "password=$password" \
  --data-urlencode "csrf_token=$csrf"
cookie=$(awk '$0 !~ /^#/ || /^#HttpOnly_/ { if (NF >= 7) print $6 "=" $7 }' "$jar" | paste -sd ';' -)
[[ -n $cookie ]] || { echo "no session cookie" >&2; exit 1; }
product=$(psql "$db_url" -XAtqc "SELECT id FROM products ORDER BY url LIMIT 1")

python3 - "$port" "$cookie" "$n_requests" <<'PY' | while read -r k v; do result "$k" "$v"; done
import http.client, statistics, sys, time
port, cookie, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def get():
    conn.request("GET", "/", headers={"Cookie": cookie, "Accept": "text/html"})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200 or b"Product " not in body:
        sys.exit(f"GET / answered {r.status}")
for _ in range(20):
    get()
times = []
for _ in range(n):
    t = time.perf_counter()
    get()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print("list_requests", n)
print("list_p50_ms", f"{statistics.median(times):.2f}")
print("list_p95_ms", f"{times[int(len(times) * 0.95) - 1]:.2f}")
PY

if [[ ${BENCH_LIGHTHOUSE:-1} == 1 ]]; then
  headers=$(python3 -c 'import json,sys; print(json.dumps({"Cookie": sys.argv[1]}))' "$cookie")
  for page in login list product; do
    case $page in
      login) url="$api/login"; extra=() ;;
      list) url="$api/"; extra=(--extra-headers "$headers") ;;
      product) url="$api/products/$product"; extra=(--extra-headers "$headers") ;;
    esac
    CHROME_PATH="$chrome" timeout 300 npx --yes lighthouse@12 "$url" "${extra[@]}" \
      --chrome-flags="--headless=new --no-sandbox" --quiet --output=json \
      --output-path="$work/lh-$page.json" \
      --only-categories=accessibility,best-practices,performance >/dev/null
    python3 - "$work/lh-$page.json" "$page" <<'PY' | while read -r k v; do result "$k" "$v"; done
import json, sys
report = json.load(open(sys.argv[1]))
for key, cat in report["categories"].items():
    print(f"lighthouse_{sys.argv[2]}_{key}", round(cat["score"] * 100))
for audit in report["audits"].values():
    if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") in ("binary", "numeric"):
        print(f"{sys.argv[2]}: {audit['id']} scored {audit['score']}", file=sys.stderr)
PY
  done
fi
