#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: Rust tests against the real
# PostgreSQL, Redis, RabbitMQ and SMTP sink, then the gateway test against real
# nginx in front of a real api, then the ops scripts' self-tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export TEST_DATABASE_URL="$admin_url"

log() { printf '[test] %s\n' "$*"; }

clean_dbs() {
  # Databases of earlier runs (each test makes its own); the template is rebuilt
  # when migrations change, so drop it too.
  local dbs
  dbs=$(psql "$admin_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'pw\_test\_%' OR datname LIKE 'pw\_gw\_%'" 2>/dev/null || true)
  for db in $dbs; do psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
}

command -v psql >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq postgresql-client >/dev/null; }
# Another run on this machine (another checkout) uses databases of the same
# names: while the run that cleaned last is still going, leave them alone.
marker="${TMPDIR:-/tmp}/pricewatch-test.pid"
other=$(cat "$marker" 2>/dev/null || true)
if [[ -n $other && $other != "$$" ]] && tr '\0' ' ' 2>/dev/null <"/proc/$other/cmdline" | grep -q 'test\.sh'; then
  log "another test run (pid $other) is going on this machine: leaving test databases alone"
else
  echo "$$" >"$marker"
  clean_dbs
fi
[ "${1:-}" = --clean-only ] && exit 0

# Tests declare their own durable queues (pwtest-…, pwe2e…, pwgw…, pwchaos…,
# pwbench…, pwbw…, pwbx…). A test that is stopped leaves them behind, and
# hundreds of quorum queues make the broker slow to start: RabbitMQ deletes
# any of them unused for an hour. The production queues (pricewatch.…) never
# match.
timeout 60 rabbitmqctl -q set_policy --apply-to queues pricewatch-test-queues-expire \
  '^pw(test|e2e|gw|chaos|bench|bw|bx)' '{"expires": 3600000}' >/dev/null \
  || log "could not set the expiry of test queues (rabbitmqctl): leftover test queues stay"
scripts/ensure-nginx.sh
if [ -x scripts/ensure-smtp-sink.sh ]; then scripts/ensure-smtp-sink.sh; fi
# The renderer's tests and the web app's browser tests run in a real Chromium:
# install it when missing, and fail (not skip) the browser tests without it.
scripts/ensure-chromium.sh
export PRICEWATCH_BROWSER_TESTS=1
# The notifier's delivery test compares its requests with Apprise's (PyPI):
# install it when missing; the test fails, not skips, without it.
scripts/ensure-apprise.sh >/dev/null

log "cargo test --workspace"
cargo test --workspace --no-fail-fast

log "gateway (real nginx) and schemathesis against a real api"
scripts/test-against-api.sh

log "end to end: price drop -> exactly one email"
scripts/test-e2e.sh

log "alert rules and dashboard"
python3 scripts/check-alerts.py

log "ops scripts"
scripts/test-ops-scripts.sh

clean_dbs
log "all tests passed"
