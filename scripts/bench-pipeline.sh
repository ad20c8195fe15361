#!/usr/bin/env bash
# Pipeline benchmark, the real release binaries on this machine:
# demo shop, api, scheduler, scraper-worker (SCRAPER_CONCURRENCY=64) and
# notifier on their own database and queue/key prefixes, against the machine's
# PostgreSQL, Redis and RabbitMQ. BENCH_PRODUCTS (100,000) due products on the
# demo shop, each with one watch; then the scheduler starts and publishes the
# whole backlog while the worker checks it.
#
# Prints, as `key value` lines (also written to $BENCH_OUT if set):
# - scheduler publish rate: jobs published with confirms per second, from its
#   own log (lease taken → the first tick's "check jobs published");
# - end-to-end rate: recorded price points per second from the scheduler's start
#   to the last one, and over the middle 80 % (sustained);
# - the worker's resident memory: peak sampled every 0.25 s and VmHWM, with the
#   highest pricewatch_jobs_in_flight seen;
# - bare `extract` on 500 of the same pages, one core (the extraction bench's
#   engine), and the end-to-end rate as a ratio of it.
# Loopback only; every wait is bounded. Settings: BENCH_PRODUCTS, BENCH_USERS
# (1000), BENCH_TIMEOUT_SECS (1200).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
n_products="${BENCH_PRODUCTS:-100000}"
n_users="${BENCH_USERS:-1000}"
timeout_secs="${BENCH_TIMEOUT_SECS:-1200}"
run=$$
db="pw_bench_$run"
prefix="pwbench$run"
domain="bench-$run.test"
work=$(mktemp -d)
declare -A pid=() port=()
sampler=""
read -ra rabbitmqctl <<<"${RABBITMQCTL:-rabbitmqctl}"

cleanup() {
  local p q
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  timeout 30 "${rabbitmqctl[@]}" list_queues -q --no-table-headers name 2>/dev/null | grep "^$prefix\." |
    while read -r q; do timeout 10 "${rabbitmqctl[@]}" delete_queue "$q" </dev/null >/dev/null 2>&1 || true; done || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
result() { echo "$1 $2"; [[ -z ${BENCH_OUT:-} ]] || echo "$1 $2" >>"$BENCH_OUT"; }

echo "building the release binaries (and the extraction bench)"
cargo build -q --release --bins
extract_bin="$(cargo bench -q -p pricewatch-extract --bench extract --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "extract" and m.get("executable"):
        print(m["executable"])')"
[[ -x $extract_bin ]] || fail "no extraction bench binary"
bin="$root/target/release"
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${admin_url%/*}/$db" REDIS_URL=redis://127.0.0.1:6379/0 \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' REDIS_KEY_PREFIX="$prefix" QUEUE_PREFIX="$prefix" \
  SECRET_KEY=bench-secret-key-0123456789abcdefghijklmn ALLOW_LOOPBACK_TARGETS=true \
  SCHEDULER_TICK_SECONDS=1 SCHEDULER_JITTER_SECONDS=0 \
  DOMAIN_MIN_INTERVAL_MS=0 SCRAPER_CONCURRENCY=64 DOMAIN_MAX_CONCURRENCY=64 RESPECT_ROBOTS_TXT=false \
  SMTP_HOST=127.0.0.1 SMTP_PORT=1025 RUST_LOG=warn
"$bin/pricewatch" migrate >/dev/null

for s in api scheduler worker notifier shop; do port[$s]=$(free_port); done
shop="http://127.0.0.1:${port[shop]}"
start() {
  case $1 in
    shop) DEMO_SHOP_BIND="127.0.0.1:${port[shop]}" DEMO_SHOP_PRODUCTS="$n_products" "$bin/pricewatch-demo-shop" >"$work/shop.log" 2>&1 & ;;
    api) API_BIND="127.0.0.1:${port[api]}" "$bin/pricewatch-api" >"$work/api.log" 2>&1 & ;;
    scheduler) SCHEDULER_HEALTH_BIND="127.0.0.1:${port[scheduler]}" LOG_FORMAT=json RUST_LOG=warn,pricewatch_scheduler=info \
      "$bin/pricewatch-scheduler" >"$work/${sched_log:-scheduler}.log" 2>&1 & ;;
    worker) SCRAPER_WORKER_HEALTH_BIND="127.0.0.1:${port[worker]}" "$bin/pricewatch-scraper-worker" >"$work/worker.log" 2>&1 & ;;
    notifier) NOTIFIER_HEALTH_BIND="127.0.0.1:${port[notifier]}" "$bin/pricewatch-notifier" >"$work/notifier.log" 2>&1 & ;;
  esac
  pid[$1]=$!
}
wait_url() { # url seconds
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    curl -fsS -m 3 -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
# CPU time (user + system, in clock ticks) of the processes of each part of the
# stack, to say where a check's CPU goes: ours by pid, the servers by name.
cpu_ticks() { # pids... -> summed utime + stime
  local p s=0 stat fields
  for p in "$@"; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -ra fields <<<"$stat"
    s=$((s + fields[11] + fields[12]))
  done
  echo "$s"
}
cpu_snapshot() { # -> "name ticks" lines
  local s
  for s in shop api scheduler worker notifier; do echo "$s $(cpu_ticks "${pid[$s]:-}")"; done
  echo "postgres $(cpu_ticks $(pgrep -x postgres))"
  echo "redis $(cpu_ticks $(pgrep -x redis-server))"
  echo "rabbitmq $(cpu_ticks $(pgrep -f beam.smp) $(pgrep -x erl_child_setup) $(pgrep -x epmd))"
  awk '/^cpu / { print "machine_total", $2 + $3 + $4 + $7 + $8; print "machine_system", $4 + $7 + $8 }' /proc/stat
}
metric() { # service name -> sum of the metric's samples (0 if absent)
  curl -fsS -m 3 "http://127.0.0.1:${port[$1]}/metrics" 2>/dev/null |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}

start shop
wait_url "$shop/" 60 || fail "demo shop not up"
for s in api worker notifier; do start "$s"; done
for s in api worker notifier; do wait_url "http://127.0.0.1:${port[$s]}/health/ready" 60 || fail "$s not ready"; done

# --- data: due products, one watch each (target below the price: no emails) --------
curl -fsS -m 60 "$shop/?format=json&offset=0&limit=10000000" |
  jq -r '.[] | select(.slug | startswith("item-")) | [.slug, .price] | @tsv' >"$work/items.tsv"
[[ $(wc -l <"$work/items.tsv") == "$n_products" ]] || fail "the shop lists $(wc -l <"$work/items.tsv") items, not $n_products"
psql "$DATABASE_URL" -XAtq -1 -v ON_ERROR_STOP=1 >/dev/null <<SQL || fail "inserting the data"
CREATE TEMP TABLE items (slug TEXT PRIMARY KEY, price NUMERIC(14, 4) NOT NULL);
\copy items FROM '$work/items.tsv'
INSERT INTO users (id, email, password_hash)
  SELECT gen_random_uuid(), 'u' || g || '@$domain', 'not-a-hash' FROM generate_series(0, $n_users - 1) g;
INSERT INTO products (id, url, host, check_interval_hours, next_check_at)
  SELECT gen_random_uuid(), '$shop/products/' || slug, '127.0.0.1', 6, now() FROM items;
CREATE TEMP TABLE u AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users;
INSERT INTO watches (id, user_id, product_id, target_price, frequency_hours)
  SELECT gen_random_uuid(), u.id, p.id, 0.01, 6
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM products) p
  JOIN u ON u.n = p.n % $n_users;
SQL
[[ $(sql "SELECT count(*) FROM watches") == "$n_products" ]] || fail "expected $n_products watches"
# The same pages for bare extract: 500 spread over the catalogue.
mkdir -p "$work/pages"
step=$((n_products / 500 > 0 ? n_products / 500 : 1))
awk -v s="$step" 'NR % s == 1 { print $1 }' "$work/items.tsv" | head -500 | while read -r slug; do
  curl -fsS -m 10 -o "$work/pages/$slug.html" "$shop/products/$slug"
done
echo "$n_products due products with one watch each over $n_users users; $(find "$work/pages" -name '*.html' | wc -l) pages saved for bare extract"

# --- run --------------------------------------------------------------------------
(
  peak=0 flight=0
  while sleep 0.25; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/${pid[worker]}/status" 2>/dev/null) || break
    ((rss > peak)) && peak=$rss
    f=$(metric worker pricewatch_jobs_in_flight)
    ((f > flight)) && flight=$f
    echo "$peak $flight" >"$work/rss"
  done
) &
sampler=$!
t_start=$(now)
cpu_snapshot >"$work/cpu0"
start scheduler
samples="$work/samples"
deadline=$((SECONDS + timeout_secs))
while ((SECONDS < deadline)); do
  t=$(now)
  recorded=$(sql "SELECT count(*) FROM price_history")
  echo "$t $recorded" >>"$samples"
  ((recorded >= n_products)) && break
  kill -0 "${pid[worker]}" 2>/dev/null || fail "the worker exited"
  sleep 0.5
done
t_end=$(now)
cpu_snapshot >"$work/cpu1"
((recorded >= n_products)) || fail "only $recorded of $n_products checks recorded in ${timeout_secs}s"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=""
read -r peak_kib max_flight <"$work/rss"
hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/${pid[worker]}/status")
failed=$(sql "SELECT count(*) FROM products WHERE check_status NOT IN ('ok', 'unchanged')")
# The scheduler's rate from its own log: lease taken (the tick starts) to the
# tick's "check jobs published" line (every job confirmed by the broker).
sched_rate() { # log -> "jobs/s jobs" of the first tick
  python3 - "$1" <<'PY'
import json, sys
from datetime import datetime
start = end = None
jobs = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    fields = e.get("fields", e)  # flattened events carry their fields at the top
    msg = fields.get("message", "")
    t = datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
    if "lease taken" in msg and start is None:
        start = t
    elif msg == "check jobs published" and start is not None and end is None:
        jobs, end = int(fields["jobs"]), t
print(round(jobs / (end - start).total_seconds(), 1) if start and end else "?", jobs)
PY
}
sched_rate=$(sched_rate "$work/scheduler.log")

# --- the scheduler alone: the same products due again, no worker consuming ---------
kill "${pid[worker]}" "${pid[scheduler]}" 2>/dev/null || true
wait "${pid[worker]}" "${pid[scheduler]}" 2>/dev/null || true
unset 'pid[worker]' 'pid[scheduler]'
sql "UPDATE products SET next_check_at = now() - interval '1 second'" >/dev/null
sched_log=scheduler-alone start scheduler
deadline=$((SECONDS + 300))
until grep -q '"check jobs published"' "$work/scheduler-alone.log" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the scheduler alone did not publish the backlog within 300 s"
  sleep 0.5
done
read -r sched_alone_jobs_per_s sched_alone_jobs <<<"$(sched_rate "$work/scheduler-alone.log")"

# --- bare extract on the same pages, one core ---------------------------------------
extract_json=$("$extract_bin" --engine extract --seconds 10 "$work"/pages/*.html)
extract_rate=$(echo "$extract_json" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["pages_per_s"], 1))')

python3 - "$samples" "$t_start" "$t_end" "$n_products" <<'PY' >"$work/rates"
import sys
path, t0, t1, n = sys.argv[1:5]
t0, t1, n = float(t0), float(t1), int(n)
rows = [tuple(map(float, l.split())) for l in open(path)]
# Sustained: between the samples where 10 % and 90 % were recorded.
lo = next(r for r in rows if r[1] >= 0.1 * n)
hi = next(r for r in rows if r[1] >= 0.9 * n)
print("e2e_checks_per_s", round(n / (t1 - t0), 1))
print("e2e_sustained_checks_per_s", round((hi[1] - lo[1]) / (hi[0] - lo[0]), 1))
print("e2e_seconds", round(t1 - t0, 1))
PY
echo
echo "== pipeline bench: $n_products products, release build, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r sched_jobs_per_s sched_first_tick_jobs <<<"$sched_rate"
result scheduler_jobs_per_s "$sched_jobs_per_s"
result scheduler_first_tick_jobs "$sched_first_tick_jobs"
result scheduler_alone_jobs_per_s "$sched_alone_jobs_per_s"
result scheduler_alone_jobs "$sched_alone_jobs"
while read -r k v; do result "$k" "$v"; done <"$work/rates"
result worker_peak_rss_mib "$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
result worker_vmhwm_mib "$(awk -v k="$hwm_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
result worker_max_jobs_in_flight "$max_flight"
result checks_not_ok "$failed"
result bare_extract_pages_per_s_one_core "$extract_rate"
# CPU per check by part of the stack, in milliseconds (ticks are 1/CLK_TCK s).
hz=$(getconf CLK_TCK)
while read -r name ticks; do
  result "cpu_ms_per_check_$name" "$(awk -v a="$(awk -v n="$name" '$1 == n { print $2 }' "$work/cpu0")" -v b="$ticks" \
    -v hz="$hz" -v n="$n_products" 'BEGIN { printf "%.3f", (b - a) * 1000 / hz / n }')"
done <"$work/cpu1"
e2e=$(awk '$1 == "e2e_sustained_checks_per_s" { print $2 }' "$work/rates")
result e2e_over_bare_extract "$(awk -v a="$e2e" -v b="$extract_rate" 'BEGIN { printf "%.3f", a / b }')"
