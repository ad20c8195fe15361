#!/usr/bin/env python3
"""SMTP sink for development and tests, the fallback of scripts/ensure-smtp-sink.sh
when MailDev cannot run. Needs Debian's python3-aiosmtpd (or aiosmtpd from PyPI).

    python3 scripts/smtp_sink.py [--host 127.0.0.1] [--smtp-port 1025] [--http-port 8025]

SMTP: plain, no authentication, no STARTTLS; any sender and recipient; kept in
memory (the newest 10,000 messages).

HTTP API, the same shape as MailDev 3's REST API (JSON):
  GET    /api/healthz            -> true
  GET    /api/email              -> every message, in arrival order:
         [{"id": "…", "time": "2026-11-25T19:41:01.745Z", "subject": "…",
           "from": [{"address": "a@x", "name": ""}],
           "to":   [{"address": "b@y", "name": "Bob"}],    (header To:)
           "cc":   […],
           "envelope": {"from": {"address": "a@x"},
                        "to": [{"address": "b@y"}]},       (SMTP RCPT TO)
           "headers": {"subject": "…", …}, "size": 580,
           "text": "text/plain part" | null, "html": "text/html part" | null}]
  GET    /api/email?to.address=bob@example.test
         -> only the messages where that dotted field equals the value (exact
            match, on any element of a list); also ?skip=N&limit=N&sort=asc|desc
  GET    /api/email/{id}         -> one message (404 if unknown)
  GET    /api/email/{id}/source  -> the raw RFC 5322 message
  DELETE /api/email/{id}         -> delete one
  DELETE /api/email/all          -> delete everything
"""

import argparse
import email
import email.policy
import email.utils
import json
import secrets
import signal
import threading
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from aiosmtpd.controller import Controller

MAX_MESSAGES = 10_000


class Mailbox:
    def __init__(self):
        self._lock = threading.Lock()
        self._messages = deque(maxlen=MAX_MESSAGES)

    def add(self, message):
        with self._lock:
            self._messages.append(message)

    def all(self):
        with self._lock:
            return list(self._messages)

    def get(self, message_id):
        with self._lock:
            return next((m for m in self._messages if m["id"] == message_id), None)

    def delete(self, message_id):
        with self._lock:
            before = len(self._messages)
            kept = [m for m in self._messages if m["id"] != message_id]
            self._messages.clear()
            self._messages.extend(kept)
            return len(kept) != before

    def clear(self):
        with self._lock:
            self._messages.clear()


def addresses(values):
    return [{"address": address, "name": name} for name, address in email.utils.getaddresses(values)]


def part_text(message, subtype):
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        return part.get_payload(decode=True).decode("utf-8", "replace")


def parse(raw, mail_from, rcpt_tos):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    now = datetime.now(timezone.utc)
    return {
        "id": secrets.token_hex(4),
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "read": False,
        "subject": str(message.get("subject", "")),
        "from": addresses(message.get_all("from", [])),
        "to": addresses(message.get_all("to", [])),
        "cc": addresses(message.get_all("cc", [])),
        "envelope": {
            "from": {"address": mail_from},
            "to": [{"address": rcpt} for rcpt in rcpt_tos],
        },
        "headers": {key.lower(): str(value) for key, value in message.items()},
        "size": len(raw),
        "text": part_text(message, "plain"),
        "html": part_text(message, "html"),
        "_source": raw,
    }


class SinkHandler:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = parse(raw, envelope.mail_from, envelope.rcpt_tos)
        self.mailbox.add(message)
        print(f"received {message['id']} for {', '.join(envelope.rcpt_tos)}: {message['subject']}", flush=True)
        return "250 Message accepted for delivery"


def nested(value, path):
    """MailDev's dotted lookup: through a list, it maps over the elements."""
    for part in path.split("."):
        if value is None:
            return None
        if isinstance(value, list):
            return [item.get(part) if isinstance(item, dict) else None for item in value]
        value = value.get(part) if isinstance(value, dict) else None
    return value


def as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(message, filters):
    for key, wanted in filters:
        value = nested(message, key)
        if value is None:
            return False
        if isinstance(value, list):
            if not any(as_text(v) == wanted for v in value if v is not None):
                return False
        elif as_text(value) != wanted:
            return False
    return True


def public(message):
    return {key: value for key, value in message.items() if not key.startswith("_")}


def make_http_handler(mailbox):
    class Handler(BaseHTTPRequestHandler):
        server_version = "pricewatch-smtp-sink"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def send_json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def not_found(self):
            self.send_json(404, {"error": "Email was not found"})

        def do_GET(self):
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            if parts == ["api", "healthz"]:
                return self.send_json(200, True)
            if parts == ["api", "email"]:
                query = parse_qsl(url.query, keep_blank_values=True)
                options = {k: v for k, v in query if k in ("skip", "limit", "sort")}
                filters = [(k, v) for k, v in query if k not in ("skip", "limit", "sort")]
                found = [m for m in mailbox.all() if matches(m, filters)]
                if options.get("sort") in ("asc", "desc"):
                    found.sort(key=lambda m: m["time"], reverse=options["sort"] == "desc")
                skip = int(options["skip"]) if options.get("skip", "").isdigit() else 0
                limit = int(options["limit"]) if options.get("limit", "").isdigit() else None
                found = found[skip:] if limit is None else found[skip : skip + limit]
                return self.send_json(200, [public(m) for m in found])
            if len(parts) in (3, 4) and parts[:2] == ["api", "email"]:
                message = mailbox.get(parts[2])
                if message is None:
                    return self.not_found()
                if len(parts) == 3:
                    message["read"] = True
                    return self.send_json(200, public(message))
                if parts[3] == "source":
                    self.send_response(200)
                    self.send_header("Content-Type", "message/rfc822")
                    self.send_header("Content-Length", str(len(message["_source"])))
                    self.end_headers()
                    self.wfile.write(message["_source"])
                    return None
            return self.send_json(404, {"error": "Not found"})

        def do_DELETE(self):
            parts = [p for p in urlsplit(self.path).path.split("/") if p]
            if parts == ["api", "email", "all"]:
                mailbox.clear()
                return self.send_json(200, True)
            if len(parts) == 3 and parts[:2] == ["api", "email"]:
                return self.send_json(200, True) if mailbox.delete(parts[2]) else self.not_found()
            return self.send_json(404, {"error": "Not found"})

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()

    mailbox = Mailbox()
    controller = Controller(
        SinkHandler(mailbox),
        hostname=args.host,
        port=args.smtp_port,
        enable_SMTPUTF8=True,
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    http = ThreadingHTTPServer((args.host, args.http_port), make_http_handler(mailbox))
    http.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=http.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"SMTP on {args.host}:{args.smtp_port}, API on http://{args.host}:{args.http_port}/api/email", flush=True)
    try:
        http.serve_forever()
    finally:
        controller.stop()
        http.server_close()


if __name__ == "__main__":
    main()
