#!/usr/bin/env bash
# Starts the real api (its own database and key prefixes), then
#  1. scripts/test-gateway.sh, which puts real nginx in front of it;
#  2. schemathesis (PyPI, in .tools/schemathesis) against its /openapi.json,
#     with a logged-in user, then with a read-only personal API token (its
#     writes are refused with 403): every generated request must get no 5xx
#     and only a status code the document lists for its operation.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="pw_gw_$$"
db_url="${admin_url%/*}/$db"
work=$(mktemp -d)
api_pid=""
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; fi
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build -q -p pricewatch-api -p pricewatch-cli
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
DATABASE_URL="$db_url" target/debug/pricewatch migrate >/dev/null

api_port=$(free_port)
DATABASE_URL="$db_url" REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="pwgw$$" \
  AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f' QUEUE_PREFIX="pwgw$$" \
  SECRET_KEY=gateway-test-secret-key-0123456789abcdef AUTH_RATE_LIMIT_PER_MINUTE=100000 API_BIND="127.0.0.1:$api_port" \
  CHANNEL_SECRET_KEY=BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc= \
  API_WORKERS=2 RUST_LOG=warn target/debug/pricewatch-api >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$api_port/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done

scripts/test-gateway.sh "127.0.0.1:$api_port"

venv=.tools/schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi
api="http://127.0.0.1:$api_port"
curl -fsS "$api/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"schema@example.com","password":"schema test 42"}' >/dev/null
token=$(curl -fsS "$api/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"schema@example.com","password":"schema test 42"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
"$venv/bin/st" run "$api/openapi.json" --checks not_a_server_error,status_code_conformance \
  -H "Authorization: Bearer $token" --max-examples 30 --workers 1 --seed 1
read_token=$(curl -fsS "$api/api/v1/tokens" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"schemathesis","scopes":["read"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$venv/bin/st" run "$api/openapi.json" --checks not_a_server_error,status_code_conformance \
  -H "Authorization: Bearer $read_token" --max-examples 10 --workers 1 --seed 2
