#!/usr/bin/env bash
# Render benchmark: renders per second of the renderer with RENDERER_TABS
# (2) tabs on the demo shop's script-built product pages, and the resident
# memory of the renderer and its whole Chromium process group over
# BENCH_RENDERS (200) renders.
#
# Starts the demo shop and the renderer (debug build by default;
# BENCH_PROFILE=release for the release build) on free loopback ports, sends
# the renders two at a time, and samples the memory every 100 ms: the
# proportional set size (PSS: shared pages counted once, as the renderer's
# RENDERER_MAX_MEMORY_MB counts it) summed over every process whose command
# line names the run's own profile directory, plus the renderer. Prints `key value` lines (also appended to
# $BENCH_OUT if set). Needs Chromium and Redis. Loopback only; every wait is
# bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
renders="${BENCH_RENDERS:-200}"
tabs="${RENDERER_TABS:-2}"
profile="${BENCH_PROFILE:-debug}"
target_dir="${CARGO_TARGET_DIR:-target}"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
result() { echo "$1 $2"; [[ -z ${BENCH_OUT:-} ]] || echo "$1 $2" >>"$BENCH_OUT"; }

scripts/ensure-chromium.sh
case $profile in
  release) cargo build -q --release -p pricewatch-renderer -p pricewatch-demo-shop ;;
  debug) cargo build -q -p pricewatch-renderer -p pricewatch-demo-shop ;;
  *) echo "BENCH_PROFILE is debug or release" >&2; exit 2 ;;
esac
bin="$target_dir/$profile"
shop_port=$(free_port); probe_port=$(free_port); api_port=$(free_port)
DEMO_SHOP_BIND="127.0.0.1:$shop_port" "$bin/pricewatch-demo-shop" >"$work/shop.log" 2>&1 &
pids+=($!)
TMPDIR="$work" RENDERER_HEALTH_BIND="127.0.0.1:$probe_port" RENDERER_BIND="127.0.0.1:$api_port" \
  RENDERER_TABS="$tabs" ALLOW_LOOPBACK_TARGETS=true \
  DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
  REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}" REDIS_KEY_PREFIX="pwbench-$$" \
  AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}" RUST_LOG=warn \
  "$bin/pricewatch-renderer" >"$work/renderer.log" 2>&1 &
renderer_pid=$!
pids+=("$renderer_pid")
for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$probe_port/health/ready"; then break; fi
  sleep 0.25
done
curl -fsS -o /dev/null "http://127.0.0.1:$probe_port/health/ready" || { echo "the renderer is not ready" >&2; cat "$work/renderer.log" >&2; exit 1; }
mapfile -t slugs < <(curl -fsS "http://127.0.0.1:$shop_port/?format=json" | python3 -c 'import json,sys; print("\n".join(p["slug"] for p in json.load(sys.stdin)))')

group_rss_kib() {
  local total=0 pid rss
  for pid in $(grep -lsa -- "$work" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3) "$renderer_pid"; do
    rss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}
sampler() {
  local peak=0 now
  while :; do
    now=$(group_rss_kib)
    if (( now > peak )); then peak=$now; echo "$peak" >"$work/peak"; fi
    sleep 0.1
  done
}
idle=$(group_rss_kib)
sampler & pids+=($!)

render_one() { # index
  local slug=${slugs[$(( $1 % ${#slugs[@]} ))]}
  curl -fsS -o /dev/null -w '%{http_code}\n' --max-time 60 "http://127.0.0.1:$api_port/render" \
    -H 'Content-Type: application/json' \
    -d "{\"url\": \"http://127.0.0.1:$shop_port/js/products/$slug\", \"wait_for\": \".price\"}" || echo fail
}
export -f render_one
export api_port shop_port
render_range() { # first last
  seq "$1" "$2" | xargs -P "$tabs" -I{} bash -c "$(declare -p slugs); render_one {}" >>"$work/codes"
}
# Two phases, the memory taken between them and at the end: flat means no
# growth from render 50 to the last one.
first=$(( renders < 50 ? renders : 50 ))
started=$(date +%s.%N)
render_range 0 $((first - 1))
at_first=$(group_rss_kib)
(( renders > first )) && render_range "$first" $((renders - 1))
at_last=$(group_rss_kib)
finished=$(date +%s.%N)
ok=$(grep -c '^200$' "$work/codes" || true)
seconds=$(python3 -c "print(round($finished - $started, 2))")
result render_tabs "$tabs"
result render_count "$renders"
result render_ok "$ok"
result render_seconds "$seconds"
result render_per_second "$(python3 -c "print(round($ok / ($finished - $started), 2))")"
result render_pss_idle_mib "$((idle / 1024))"
result render_pss_peak_mib "$(( $(cat "$work/peak" 2>/dev/null || echo 0) / 1024 ))"
result "render_pss_at_render_${first}_mib" "$((at_first / 1024))"
result "render_pss_at_render_${renders}_mib" "$((at_last / 1024))"
result render_pss_after_mib "$(( $(group_rss_kib) / 1024 ))"
