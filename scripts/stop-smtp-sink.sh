#!/usr/bin/env bash
# Stops the SMTP sink that scripts/ensure-smtp-sink.sh started (the process in
# .dev/smtp-sink-<smtp port>.pid) and waits until its ports are free. A sink started some
# other way is left alone. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1
SMTP_PORT="${SMTP_SINK_PORT:-1025}"
HTTP_PORT="${SMTP_SINK_HTTP_PORT:-8025}"
PID_FILE="$ROOT/.dev/smtp-sink-$SMTP_PORT.pid"

log() { echo "smtp-sink: $*" >&2; }

port_taken() {
    # shellcheck disable=SC2016 # expanded by the child shell
    timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

if [[ ! -f "$PID_FILE" ]]; then
    log "not started by ensure-smtp-sink.sh; nothing to stop"
    exit 0
fi
pid="$(cat "$PID_FILE")"
# Only our own sink: the pid file may be stale and the pid reused.
if kill -0 "$pid" 2>/dev/null && grep -qaE 'maildev|smtp_sink\.py' "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped (pid $pid)"
else
    log "pid $pid is not running a sink; removing the stale pid file"
fi
rm -f "$PID_FILE"
for _ in $(seq 1 50); do
    if ! port_taken "$SMTP_PORT" && ! port_taken "$HTTP_PORT"; then
        exit 0
    fi
    sleep 0.1
done
log "ports $SMTP_PORT/$HTTP_PORT are still taken by another process"
