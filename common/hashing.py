"""The canonical JSON text of a value, and its SHA-256: equal values give equal hashes whatever their key order."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def canonical_json(value: Any) -> str:
    """Keys sorted, no spaces, text as itself; dates, UUIDs and decimals written as Django's encoder writes them
    (for plain JSON values that encoder changes nothing)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)


def canonical_hash(value: Any) -> str:
    """SHA-256 (hex) of ``canonical_json(value)``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
