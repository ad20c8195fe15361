#!/usr/bin/env python3
"""A webhook receiver for tests (scripts/test-chaos.sh): records every request
and checks its Standard Webhooks signature. Standard library only.

    python3 scripts/webhook_sink.py --port PORT --log FILE --secrets FILE [--delay-ms N]

Listens on 127.0.0.1 only. Each request is appended to --log as one JSON
line, as soon as its body is read (before the answer):
  {"at": unix seconds, "method": "POST", "path": "/u0001",
   "webhook_id": "…", "webhook_timestamp": "…", "verified": true|false,
   "notification_id": "…" | null, "body": "…"}
then, after --delay-ms (so that a sender killed meanwhile leaves the request
delivered but unanswered), the answer is 200 with an empty JSON object.
GET answers 200 `ok` (a health check) and is not recorded.

--secrets is a JSON object {path: "whsec_…"}, read again whenever a path is
not in it yet, so channels may be added after the receiver starts. A request
whose path has no secret, or whose signature does not match, is recorded
with "verified": false.
"""

import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_matches(secret, msg_id, timestamp, body, header):
    """Standard Webhooks: any `v1,<base64 HMAC-SHA256>` in the header (space
    separated) over `{id}.{timestamp}.{body}`, keyed with the bytes after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(sig, expected)
        for version, _, sig in (part.partition(",") for part in header.split())
    )


class Sink:
    def __init__(self, log_path, secrets_path, delay):
        self.log = open(log_path, "a", buffering=1, encoding="utf-8")
        self.secrets_path = secrets_path
        self.secrets = {}
        self.delay = delay
        self.lock = threading.Lock()

    def secret(self, path):
        with self.lock:
            if path not in self.secrets:
                try:
                    with open(self.secrets_path, encoding="utf-8") as f:
                        self.secrets = json.load(f)
                except (OSError, ValueError):
                    pass
            return self.secrets.get(path)

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")


def handler(sink):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            msg_id = self.headers.get("webhook-id", "")
            timestamp = self.headers.get("webhook-timestamp", "")
            secret = sink.secret(self.path)
            verified = bool(secret) and signature_matches(
                secret, msg_id, timestamp, body, self.headers.get("webhook-signature", "")
            )
            try:
                notification_id = json.loads(body)["data"]["notification_id"]
            except (ValueError, KeyError, TypeError):
                notification_id = None
            sink.record({
                "at": time.time(), "method": self.command, "path": self.path,
                "webhook_id": msg_id, "webhook_timestamp": timestamp,
                "verified": verified, "notification_id": notification_id,
                "body": body.decode("utf-8", "replace"),
            })
            time.sleep(sink.delay)
            answer = b"{}"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_GET(self):
            """Health: 200 `ok`, not recorded."""
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    sink = Sink(args.log, args.secrets, args.delay_ms / 1000)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(sink))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
