#!/usr/bin/env bash
# Ensures an SMTP sink for development and tests: SMTP on 127.0.0.1:1025 and
# an HTTP API on 127.0.0.1:8025 listing what it received. Idempotent: returns
# at once when a sink already answers. Stop it with scripts/stop-smtp-sink.sh.
#
# The sink is MailDev (npm package maildev, installed into .tools/maildev);
# when Node.js/npm or MailDev cannot work, scripts/smtp_sink.py (Debian's
# python3-aiosmtpd) serves the same API. Log: .dev/maildev.log (either one);
# pid: .dev/smtp-sink-<smtp port>.pid.
#
# SMTP: plain, no authentication, STARTTLS not offered (so a client set to
# opportunistic STARTTLS sends in the clear). Any sender, any recipient.
#
# HTTP API (JSON; both implementations):
#   GET    /api/healthz             -> true
#   GET    /api/email               -> every message, in arrival order:
#          [{"id": "…", "time": "2026-11-25T19:41:01.745Z", "subject": "…",
#            "from": [{"address": "a@x", "name": ""}],
#            "to":   [{"address": "b@y", "name": "Bob"}],   (header To:)
#            "envelope": {"from": {"address": "a@x"},
#                         "to": [{"address": "b@y"}]},      (SMTP RCPT TO)
#            "headers": {"subject": "…", …},
#            "text": "text/plain part" | null, "html": "text/html part" | null, …}]
#   GET    /api/email?to.address=bob@example.test
#          -> only messages with that recipient (exact, case-sensitive match on
#             any element; any dotted field works, e.g. envelope.to.address,
#             subject); also ?skip=N&limit=N&sort=asc|desc
#   GET    /api/email/{id}          -> one message (404 if unknown)
#   GET    /api/email/{id}/source   -> the raw RFC 5322 message
#   DELETE /api/email/{id}          -> delete one
#   DELETE /api/email/all           -> delete everything
# Tests run in parallel against one sink, so each should use its own recipient
# address and poll `GET /api/email?to.address=<it>` rather than delete all.
#
# Settings: SMTP_SINK_PORT (1025), SMTP_SINK_HTTP_PORT (8025),
#           SMTP_SINK_IMPL=auto|maildev|python (auto: MailDev, else Python).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1
SMTP_PORT="${SMTP_SINK_PORT:-1025}"
HTTP_PORT="${SMTP_SINK_HTTP_PORT:-8025}"
IMPL="${SMTP_SINK_IMPL:-auto}"
MAILDEV_VERSION=3.0.0
MAILDEV_DIR="$ROOT/.tools/maildev"
MAILDEV_BIN="$MAILDEV_DIR/node_modules/.bin/maildev"
DEV_DIR="$ROOT/.dev"
LOG="$DEV_DIR/maildev.log"
PID_FILE="$DEV_DIR/smtp-sink-$SMTP_PORT.pid"
START_TIMEOUT_SECS=30

log() { echo "smtp-sink: $*" >&2; }

# The SMTP port greets with "220" (checked in a child shell: a failed
# /dev/tcp redirection must not end this one).
smtp_answers() {
    local greeting
    # shellcheck disable=SC2016 # expanded by the child shell
    greeting=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        read -r -t 3 line <&3 || exit 1
        printf "QUIT\r\n" >&3
        echo "$line"' "$HOST" "$SMTP_PORT" 2>/dev/null) || return 1
    [[ "$greeting" == 220* ]]
}

api_answers() {
    [[ "$(curl -fsS -m 3 "http://$HOST:$HTTP_PORT/api/healthz" 2>/dev/null)" == "true" ]]
}

port_taken() {
    # shellcheck disable=SC2016 # expanded by the child shell
    timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Alive and ours: the pid file may be stale and its pid reused by another program.
sink_pid_alive() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(cat "$PID_FILE")"
    kill -0 "$pid" 2>/dev/null && grep -qaE 'maildev|smtp_sink\.py' "/proc/$pid/cmdline" 2>/dev/null
}

wait_until_up() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT_SECS))
    while ((SECONDS < deadline)); do
        if smtp_answers && api_answers; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.3
    done
    return 1
}

install_maildev() {
    [[ -x "$MAILDEV_BIN" ]] && return 0
    command -v npm >/dev/null 2>&1 || { log "npm not found"; return 1; }
    log "installing maildev@$MAILDEV_VERSION into .tools/maildev"
    mkdir -p "$MAILDEV_DIR"
    npm install --prefix "$MAILDEV_DIR" --no-audit --no-fund --loglevel=error \
        "maildev@$MAILDEV_VERSION" >>"$LOG" 2>&1 || { log "npm install failed (see $LOG)"; return 1; }
    [[ -x "$MAILDEV_BIN" ]]
}

start_maildev() {
    install_maildev || return 1
    log "starting MailDev"
    # setsid: the sink outlives the shell (make) that started it.
    setsid "$MAILDEV_BIN" --smtp "$SMTP_PORT" --ip "$HOST" --web "$HTTP_PORT" --web-ip "$HOST" \
        --hide-extensions STARTTLS >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    wait_until_up "$!"
}

python_with_aiosmtpd() {
    local python
    for python in /usr/bin/python3 python3; do
        if command -v "$python" >/dev/null 2>&1 && "$python" -c 'import aiosmtpd' 2>/dev/null; then
            echo "$python"
            return 0
        fi
    done
    return 1
}

start_python() {
    local python
    if ! python=$(python_with_aiosmtpd); then
        log "installing python3-aiosmtpd (apt-get)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd; } \
            >>"$LOG" 2>&1 || { log "apt-get install python3-aiosmtpd failed (see $LOG)"; return 1; }
        python=$(python_with_aiosmtpd) || { log "aiosmtpd still not importable"; return 1; }
    fi
    log "starting scripts/smtp_sink.py with $python"
    setsid "$python" "$ROOT/scripts/smtp_sink.py" --host "$HOST" --smtp-port "$SMTP_PORT" \
        --http-port "$HTTP_PORT" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    wait_until_up "$!"
}

stop_started() {
    if sink_pid_alive; then
        kill "$(cat "$PID_FILE")" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$PID_FILE"
}

main() {
    mkdir -p "$DEV_DIR"
    if smtp_answers && api_answers; then
        log "already running (SMTP $HOST:$SMTP_PORT, API http://$HOST:$HTTP_PORT/api/email)"
        return 0
    fi
    if sink_pid_alive; then
        # Ours but not answering yet (just started) or wedged: give it a moment.
        if wait_until_up "$(cat "$PID_FILE")"; then
            log "running (SMTP $HOST:$SMTP_PORT, API http://$HOST:$HTTP_PORT/api/email)"
            return 0
        fi
        log "the sink in $PID_FILE does not answer; restarting it"
        stop_started
    fi
    for port in "$SMTP_PORT" "$HTTP_PORT"; do
        if port_taken "$port"; then
            log "port $HOST:$port is taken by something that is not a working sink; stop it first"
            return 1
        fi
    done
    case "$IMPL" in
        maildev) start_maildev ;;
        python) start_python ;;
        auto)
            start_maildev || {
                log "MailDev did not come up; falling back to scripts/smtp_sink.py"
                stop_started
                start_python
            }
            ;;
        *) log "SMTP_SINK_IMPL must be auto, maildev or python, not '$IMPL'"; return 1 ;;
    esac || { log "could not start an SMTP sink (see $LOG)"; stop_started; return 1; }
    log "running (SMTP $HOST:$SMTP_PORT, API http://$HOST:$HTTP_PORT/api/email, pid $(cat "$PID_FILE"))"
}

main "$@"
