#!/usr/bin/env bash
# End-to-end check of the nginx gateway rules against a running api (or a stub).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/test-gateway.sh API_UPSTREAM
       scripts/test-gateway.sh --stub

Starts a private nginx on a free 127.0.0.1 port with nginx/nginx.dev.conf.template
rendered against API_UPSTREAM (host:port of a running api, e.g. 127.0.0.1:8000),
then checks through it:
  - nginx -t on the production config, plain and HTTPS (scripts/check-nginx.sh)
  - security headers, CSP (strict for the API, relaxed for /docs), X-Request-ID
    generated, echoed, sanitised and written to the JSON access log
  - gzip for JSON when asked (Accept-Encoding: gzip), none when not asked
  - /metrics not exposed; request body over 1 MiB -> 413 JSON
  - a burst of 150 requests: >= 100 get 429 with the JSON body, some pass
  - while the limit is exhausted, /health/* never answers 429
The api must serve /health/, /health/live, /health/ready and /openapi.json.
--stub starts a small Python HTTP server on loopback that serves those paths
(and echoes the request headers it received) and tests against it.

Environment: GATEWAY_PORT (default: a free port), KEEP_GATEWAY=1 keeps the
nginx prefix directory (config, logs) for inspection.
Only loopback traffic; every loop is bounded. Exit 0 when all checks pass.
USAGE
}

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    usage >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "test-gateway: $tool is required" >&2; exit 2; }
done

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port, up to ~10 s
    local i
    for ((i = 0; i < 100; i++)); do
        if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

prefix=$(mktemp -d "${TMPDIR:-/tmp}/pw-gateway.XXXXXX")
nginx_pid=""
stub_pid=""
cleanup() {
    if [[ -n $nginx_pid ]]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
    if [[ -n $stub_pid ]]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
    if [[ ${KEEP_GATEWAY:-0} == 1 ]]; then
        echo "kept: $prefix"
    else
        rm -rf "$prefix"
    fi
}
trap cleanup EXIT

stub=0
if [[ $1 == --stub ]]; then
    stub=1
    stub_port=$(free_port)
    upstream="127.0.0.1:$stub_port"
    python3 - "$stub_port" >"$prefix/stub.log" 2>&1 <<'PY' &
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAPI = json.dumps({
    "openapi": "3.1.0",
    "info": {"title": "PriceWatch stub", "version": "0.0.0"},
    "paths": {f"/api/v1/thing{i}": {"get": {"summary": "a stub path " * 3}} for i in range(40)},
}).encode()

class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # The gateway must replace these, not duplicate them.
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.send_header("X-Request-ID", "from-upstream")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/openapi.json":
            self.send(200, OPENAPI)
        elif path in ("/health/", "/health/live", "/health/ready", "/health/detailed"):
            self.send(200, json.dumps({"status": "healthy", "service": "pricewatch-api", "version": "stub"}).encode())
        elif path == "/echo":
            self.send(200, json.dumps({k.lower(): v for k, v in self.headers.items()}).encode())
        elif path.startswith("/docs"):
            self.send(200, b"<!doctype html><title>docs</title>", "text/html; charset=utf-8")
        else:
            self.send(404, b'{"error":"not_found","message":"Not found."}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send(404, b'{"error":"not_found","message":"Not found."}')

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Stub).serve_forever()
PY
    stub_pid=$!
    wait_for_port "$stub_port" || { echo "test-gateway: the stub did not start" >&2; cat "$prefix/stub.log" >&2; exit 1; }
else
    upstream=$1
fi

echo "== nginx -t"
"$here/check-nginx.sh"

nginx_bin=$("$here/ensure-nginx.sh")
port=${GATEWAY_PORT:-$(free_port)}
"$here/render-nginx.sh" "$port" "$upstream" "$prefix/nginx" >/dev/null
"$nginx_bin" -p "$prefix/nginx" -e "$prefix/nginx/logs/error.log" -c "$prefix/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
if ! wait_for_port "$port"; then
    echo "test-gateway: nginx did not start" >&2
    cat "$prefix/nginx/logs/error.log" >&2 || true
    exit 1
fi
base="http://127.0.0.1:$port"
echo "== gateway on $base -> $upstream"

passed=0
failures=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
expect() { # description, then a command that must succeed
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# header NAME FILE: the value of response header NAME (last one) from a curl -D dump
header() {
    tr -d '\r' <"$2" | awk -v name="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" '
        { line = $0; split(line, kv, ":"); if (tolower(kv[1]) == name) { sub(/^[^:]*:[ \t]*/, "", line); value = line } }
        END { print value }'
}
header_count() {
    tr -d '\r' <"$2" | awk -v name="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" '
        { split($0, kv, ":"); if (tolower(kv[1]) == name) n++ } END { print n + 0 }'
}
json_field() { # FILE KEY: top-level string field of a JSON file
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"
}

h="$prefix/h"
b="$prefix/b"

# --- health, headers, request id ---------------------------------------------------
code=$(curl -sS -o "$b" -D "$h" -w '%{http_code}' "$base/health/live")
expect "/health/live -> 200 (got $code)" test "$code" = 200
expect "X-Content-Type-Options: nosniff" test "$(header X-Content-Type-Options "$h")" = nosniff
expect "X-Frame-Options: DENY, once" test "$(header X-Frame-Options "$h")/$(header_count X-Frame-Options "$h")" = DENY/1
expect "Referrer-Policy: no-referrer" test "$(header Referrer-Policy "$h")" = no-referrer
csp=$(header Content-Security-Policy "$h")
expect "CSP for the API is default-src 'none'" grep -q "default-src 'none'" <<<"$csp"
expect "no Server version (server_tokens off)" test "$(header Server "$h")" = nginx
rid=$(header X-Request-ID "$h")
expect "X-Request-ID generated when absent ($rid), once" test "$(header_count X-Request-ID "$h")" = 1 -a "${#rid}" = 32

code=$(curl -sS -o "$b" -D "$h" -w '%{http_code}' -H 'X-Request-ID: gw-test-0123456789' "$base/health/")
expect "/health/ -> 200 (got $code)" test "$code" = 200
expect "X-Request-ID passed through and echoed" test "$(header X-Request-ID "$h")" = gw-test-0123456789
curl -sS -o /dev/null -D "$h" -H 'X-Request-ID: bad id {}' "$base/health/live"
rid=$(header X-Request-ID "$h")
expect "odd X-Request-ID replaced by a generated one ($rid)" test "${#rid}" = 32
sleep 0.2
expect "JSON access log line carries the request id" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any(l["request_id"] == "gw-test-0123456789" and l["uri"] == "/health/" and l["status"] == 200 for l in lines), lines[-3:]
' "$prefix/nginx/logs/access.log"
feed_token="pwf_gatewaytest0123456789abcdefghijABCDEFGHIJ0"
curl -sS -o /dev/null -H 'X-Request-ID: gw-feed-1' "$base/feeds/$feed_token.atom?tag=kitchen"
sleep 0.2
expect "a feed URL is logged without its token" python3 -c '
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text, "the feed token is in the access log"
lines = [json.loads(l) for l in text.splitlines() if l.strip()]
assert any(l["request_id"] == "gw-feed-1" and l["uri"] == "/feeds/[token].atom" for l in lines), lines[-2:]
' "$prefix/nginx/logs/access.log" "$feed_token"
# A mail client's one-click unsubscribe (RFC 8058): a POST to the api, logged without its token.
unsubscribe_token="pwu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
curl -sS -o /dev/null -H 'X-Request-ID: gw-unsubscribe-1' \
    -H 'Content-Type: application/x-www-form-urlencoded' --data 'List-Unsubscribe=One-Click' \
    "$base/unsubscribe/$unsubscribe_token"
sleep 0.2
expect "POST /unsubscribe/{token} reaches the api and is logged without its token" python3 -c '
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text, "the unsubscribe token is in the access log"
lines = [json.loads(l) for l in text.splitlines() if l.strip()]
hits = [l for l in lines if l["request_id"] == "gw-unsubscribe-1"]
assert hits and hits[-1]["uri"] == "/unsubscribe/[token]" and hits[-1]["method"] == "POST", lines[-2:]
assert hits[-1]["upstream_status"] not in ("", "-"), hits[-1]
' "$prefix/nginx/logs/access.log" "$unsubscribe_token"

if [[ $stub == 1 ]]; then
    curl -sS -o "$b" -H 'X-Request-ID: gw-echo-1' -H 'X-Forwarded-For: 203.0.113.9' "$base/echo"
    expect "api receives X-Request-ID, X-Real-IP, X-Forwarded-For/Proto/Host/Port" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))
assert h.get("x-request-id") == "gw-echo-1", h
assert h.get("x-real-ip") == "127.0.0.1", h
# What the client claimed (203.0.113.9) is dropped: the api trusts this header.
assert h.get("x-forwarded-for") == "127.0.0.1", h
assert h.get("x-forwarded-proto") == "http", h
assert h.get("x-forwarded-host") == "127.0.0.1", h
assert h.get("x-forwarded-port") == sys.argv[2], h
' "$b" "$port"
fi

# --- gzip ----------------------------------------------------------------------------------
code=$(curl -sS -o "$b.gz" -D "$h" -w '%{http_code}' -H 'Accept-Encoding: gzip' "$base/openapi.json")
expect "/openapi.json -> 200 (got $code)" test "$code" = 200
expect "Content-Type application/json" grep -q '^application/json' <<<"$(header Content-Type "$h")"
expect "Content-Encoding: gzip when asked" test "$(header Content-Encoding "$h")" = gzip
expect "gzipped body is valid JSON" python3 -c 'import gzip, json, sys; json.loads(gzip.open(sys.argv[1]).read())' "$b.gz"
curl -sS -o "$b" -D "$h" "$base/openapi.json"
expect "no Content-Encoding when not asked" test -z "$(header Content-Encoding "$h")"

# --- /docs CSP, /metrics, body size -------------------------------------------------------
curl -sS -o /dev/null -D "$h" "$base/docs"
csp=$(header Content-Security-Policy "$h")
expect "CSP for /docs allows 'self' and 'unsafe-inline' scripts" grep -q "script-src 'self' 'unsafe-inline'" <<<"$csp"
code=$(curl -sS -o "$b" -w '%{http_code}' "$base/metrics")
expect "/metrics not exposed (got $code)" test "$code" = 404 -a "$(json_field "$b" error)" = not_found
head -c $((1536 * 1024)) /dev/zero >"$prefix/big"
code=$(curl -sS -o "$b" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$prefix/big" "$base/api/v1/auth/login")
expect "body over 1 MiB -> 413 JSON (got $code)" test "$code" = 413 -a "$(json_field "$b" error)" = payload_too_large

# --- rate limit -------------------------------------------------------------------------------
# 150 requests in a row, then one more kept for its headers and body, all from
# one curl process (URL globbing, --next): on a busy machine a new process can
# start later than the limit's refill (0.6 s), and that request would pass.
out=$(curl -sS -o /dev/null -w '%{http_code}\n' "$base/openapi.json?burst=[1-150]" \
    --next -sS -o "$b" -D "$h" -w 'limited %{http_code}\n' "$base/openapi.json")
codes=$(grep -v '^limited ' <<<"$out" || true)
n429=$(grep -c '^429$' <<<"$codes" || true)
npass=$(grep -c '^2[0-9][0-9]$' <<<"$codes" || true)
echo "     burst of 150: $npass passed, $n429 got 429"
expect "burst past the limit gets >= 100 x 429 (got $n429)" test "$n429" -ge 100
expect "burst lets the first requests through (got $npass)" test "$npass" -ge 10 -a "$npass" -le 50
code=$(sed -n 's/^limited //p' <<<"$out")
expect "limited request -> 429 (got $code)" test "$code" = 429
expect "429 body is {\"error\":\"rate_limited\",...}" test "$(json_field "$b" error)" = rate_limited
expect "429 is application/json" grep -q '^application/json' <<<"$(header Content-Type "$h")"
expect "429 has Retry-After: 60" test "$(header Retry-After "$h")" = 60
expect "429 keeps the security headers and X-Request-ID" test "$(header X-Frame-Options "$h")" = DENY -a -n "$(header X-Request-ID "$h")"

# Limit exhausted now: health must still pass, never 429.
# (one -o per URL: curl applies each -o to one URL and its glob expansions)
health_codes=$(curl -sS -w '%{http_code}\n' \
    -o /dev/null "$base/health/live?n=[1-40]" \
    -o /dev/null "$base/health/?n=[1-40]" \
    -o /dev/null "$base/health/ready?n=[1-20]")
nhealth=$(grep -c '^[0-9][0-9][0-9]$' <<<"$health_codes" || true)
nh429=$(grep -c '^429$' <<<"$health_codes" || true)
echo "     health after the burst: $(sort <<<"$health_codes" | uniq -c | awk '{printf "%s x %s  ", $1, $2}')"
expect "100 health requests after the burst: none 429 (got $nh429 of $nhealth)" test "$nh429" = 0 -a "$nhealth" = 100

echo "== $passed passed, $failures failed"
if ((failures > 0)); then
    echo "--- nginx error log" >&2
    tail -n 20 "$prefix/nginx/logs/error.log" >&2 || true
    exit 1
fi
