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
# RENDERER_MAX_MEMORY_MB counts it) summed over the renderer and every process
# of the run's Chromium process group (scripts/bench_render_load.py: one
# Python process sends the load and samples, so the harness takes little
# CPU). Prints `key value` lines (also appended to $BENCH_OUT if set). Needs Chromium and Redis. Loopback only; every wait is
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
python3 scripts/bench_render_load.py "$work" "$renderer_pid" "$api_port" "$shop_port" "$tabs" "$renders" >"$work/results"
while read -r key value; do result "$key" "$value"; done <"$work/results"
