"""The body and the signature of a webhook request (the format README's "Webhooks" documents)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

SIGNATURE_HEADER = "Hive-Signature"
REPLAY_WINDOW_SECONDS = 300  # receivers reject a timestamp older than this


def body_bytes(*, event_id: str, event: str, created_at: str, data: dict) -> bytes:
    """The compact JSON body, the same bytes on every attempt of one delivery."""
    document = {"id": event_id, "event": event, "created_at": created_at, "data": data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}.{body}"`` with the endpoint's secret."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
