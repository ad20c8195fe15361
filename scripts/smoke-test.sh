#!/usr/bin/env bash
# End-to-end check of a running PriceWatch stack through its gateway, as a new
# user would use it: health, register, log in, add a watch, list it, queue a
# check, read the product and the notifications; /metrics stays private.
# CI runs it against the production compose stack; run it after a deploy too.
#
# Usage: scripts/smoke-test.sh [BASE_URL]     (default http://127.0.0.1:8080)
# SMOKE_WATCH_URL: the product page the test watches and asks to check
# (default https://example.com/products/smoke-test; CI points it at a service
# inside the compose network, which the worker refuses as a private address,
# so that the test sends nothing outside).
# Needs curl and jq. Exit 0 when every step passed.
set -euo pipefail

base=${1:-http://127.0.0.1:8080}
base=${base%/}
work=$(mktemp -d "${TMPDIR:-/tmp}/pw-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
steps=0

fail() {
    echo "FAIL $*" >&2
    if [[ -s $work/body ]]; then
        echo "     response: $(head -c 2000 "$work/body")" >&2
    fi
    exit 1
}

# call METHOD PATH EXPECTED_STATUS [JSON_BODY]; the body lands in $work/body.
call() {
    local method=$1 path=$2 expected=$3 data=${4:-} status
    local args=(-sS -o "$work/body" -w '%{http_code}' -X "$method" -H 'Accept: application/json')
    [[ -n ${token:-} ]] && args+=(-H "Authorization: Bearer $token")
    [[ -n $data ]] && args+=(-H 'Content-Type: application/json' --data "$data")
    status=$(curl "${args[@]}" "$base$path") || fail "$method $path: no answer from $base"
    [[ $status == "$expected" ]] || fail "$method $path: HTTP $status, expected $expected"
    steps=$((steps + 1))
    echo "ok   $method $path -> $status"
}

json() { jq -er "$1" "$work/body" || fail "unexpected JSON, wanted $1"; }

# Health: every component healthy within two minutes of the stack being up.
call GET /health/ 200
[[ $(json .status) == healthy ]] || fail "/health/ is not healthy"
# (answers 200 when healthy; its status code when degraded is not relied on)
for _ in $(seq 1 60); do
    curl -sS -o "$work/body" "$base/health/detailed" || true
    [[ $(jq -r .status "$work/body" 2>/dev/null) == healthy ]] && break
    sleep 2
done
[[ $(json .status) == healthy ]] ||
    fail "/health/detailed: $(jq -c '.components | map_values(.status)' "$work/body")"
echo "ok   /health/detailed: $(jq -c '.components | map_values(.status)' "$work/body")"

# A user and a watch.
email="smoke-$(date +%s)-$RANDOM@example.com"
password="Smoke-test-$(date +%s)-password"
call POST /api/v1/auth/register 201 "{\"email\":\"$email\",\"password\":\"$password\"}"
call POST /api/v1/auth/login 200 "{\"email\":\"$email\",\"password\":\"$password\"}"
token=$(json .access_token)
call GET /api/v1/me 200
[[ $(json .email) == "$email" ]] || fail "/me is not the new user"

watch_url="${SMOKE_WATCH_URL:-https://example.com/products/smoke-test}"
call POST /api/v1/watches 201 "$(jq -cn --arg url "$watch_url" '{url: $url, target_price: "10.00", frequency: "24h"}')"
watch_id=$(json .id)
product_id=$(json '.product.id')
call GET /api/v1/watches 200
[[ $(json .total) == 1 ]] || fail "the new user should have exactly one watch"
call POST "/api/v1/watches/$watch_id/check" 202
call GET "/api/v1/products/$product_id" 200
call GET "/api/v1/products/$product_id/prices" 200
call GET /api/v1/notifications 200

# Another user sees none of it.
token=
call POST /api/v1/auth/register 201 "{\"email\":\"other-$email\",\"password\":\"$password\"}"
call POST /api/v1/auth/login 200 "{\"email\":\"other-$email\",\"password\":\"$password\"}"
token=$(json .access_token)
call GET "/api/v1/watches/$watch_id" 404

# The gateway keeps the metrics private.
token=
call GET /metrics 404

echo "smoke test: $steps passed, 0 failed"
