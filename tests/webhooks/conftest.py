"""A local webhook receiver written from README's "Webhooks" section alone (stdlib http.server in a thread)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest


class Receiver:
    """Verifies each request as README says: parse ``Hive-Signature: t=...,v1=...``, recompute
    HMAC-SHA256(secret, f"{t}.{raw body}") in hex, compare in constant time, reject t older than 5 minutes.
    ``answers`` lists the status codes to answer in turn (then 200)."""

    def __init__(self):
        self.secret = ""
        self.answers: list[int] = []
        self.requests: list[dict] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def verify(self, header: str, raw: bytes) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        if abs(time.time() - timestamp) > 300:
            return False
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def _handler(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {
                        "headers": dict(self.headers),
                        "body": json.loads(raw),
                        "verified": receiver.verify(self.headers.get("Hive-Signature", ""), raw),
                        "at": time.time(),
                    }
                )
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"nope")

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver(settings):
    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint_to(receiver, portal_admin):
    from webhooks.services import endpoint_create

    def make(name="ops-receiver", events=()):
        endpoint = endpoint_create(name=name, url=receiver.url, events=list(events), actor=portal_admin)
        receiver.secret = endpoint.secret
        return endpoint

    return make
