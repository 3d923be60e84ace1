"""API-key authentication for the runtime endpoints.

Accepts ``Authorization: Bearer <key>`` and ``X-API-Key: <key>`` (what Automagik Hive clients send).
Keys are cached per worker and revalidated whenever ``keys_generation`` moves, so a warm request costs
no key query and a revoked key is refused on the next request. ``last_used_at`` is written at most
once a minute per key and worker, not on every request.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, InterfaceError
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from runtime.models import ApiKey
from runtime.services import hash_key
from runtime.state import DatabaseUnavailable, request_generations

LAST_USED_WRITE_INTERVAL = 60.0  # seconds
# Unknown keys are remembered (so a retrying misconfigured runtime costs no query) but only the most
# recently seen ones: random keys sent by anyone must not grow a worker's memory without bound.
MAX_UNKNOWN_KEYS = 1024


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    scopes: frozenset[str]
    key_hash: str
    expires_at: datetime | None
    revoked: bool
    environment: str = ""  # whose configuration the key's runtime is served


class ApiKeyUser:
    """What ``request.user`` is for a runtime call: the key, not a person."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_anonymous = False

    def __init__(self, key: KeyInfo):
        self.key = key
        self.username = f"api-key:{key.name}"

    def __str__(self):
        return self.username

    def has_scope(self, scope: str) -> bool:
        return scope in self.key.scopes


class _KeyCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.entries: dict[str, KeyInfo] = {}  # keys that exist: bounded by the ApiKey table
        self.unknown: OrderedDict[str, None] = OrderedDict()  # least recently seen first
        self.last_written: dict[int, float] = {}

    def lookup(self, key_hash: str, generation: int | None) -> KeyInfo | None:
        with self.lock:
            if generation is not None and generation != self.generation:
                self.entries.clear()
                self.unknown.clear()
                self.generation = generation
            if key_hash in self.entries:
                return self.entries[key_hash]
            if key_hash in self.unknown:
                self.unknown.move_to_end(key_hash)
                return None
        if generation is None:
            # Database down and key unknown to this worker: cannot vouch for it.
            raise DatabaseUnavailable("key not cached")
        row = (
            ApiKey.objects.filter(key_hash=key_hash)
            .values("id", "name", "scopes", "key_hash", "expires_at", "revoked_at", "environment")
            .first()
        )
        info = None
        if row is not None:
            info = KeyInfo(
                id=row["id"],
                name=row["name"],
                scopes=frozenset(row["scopes"]),
                key_hash=row["key_hash"],
                expires_at=row["expires_at"],
                revoked=row["revoked_at"] is not None,
                environment=row["environment"],
            )
        with self.lock:
            if generation == self.generation:
                if info is not None:
                    self.entries[key_hash] = info
                else:
                    self.unknown[key_hash] = None
                    while len(self.unknown) > MAX_UNKNOWN_KEYS:
                        self.unknown.popitem(last=False)
        return info

    def peek(self, key_hash: str, generation: int) -> KeyInfo | None:
        """The cached key if this worker validated it at ``generation``; never queries."""
        with self.lock:
            if generation != self.generation:
                return None
            return self.entries.get(key_hash)

    def touch(self, info: KeyInfo) -> None:
        now = time.monotonic()
        with self.lock:
            last = self.last_written.get(info.id)
            if last is not None and now - last < LAST_USED_WRITE_INTERVAL:
                return
            self.last_written[info.id] = now
        try:
            ApiKey.objects.filter(pk=info.id).update(last_used_at=timezone.now())
        except (DatabaseError, InterfaceError):
            pass  # bookkeeping only; never fail a request for it

    def clear(self):
        with self.lock:
            self.generation = None
            self.entries.clear()
            self.unknown.clear()
            self.last_written.clear()


key_cache = _KeyCache()


def raw_key_from_request(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    value = request.META.get("HTTP_X_API_KEY", "").strip()
    return value or None


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        raw = raw_key_from_request(request)
        if raw is None:
            if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer"):
                raise exceptions.AuthenticationFailed("The Authorization header has no key after “Bearer”.")
            return None
        key_hash = hash_key(raw)
        try:
            generation = request_generations(request).keys
        except DatabaseUnavailable:
            generation = None
        try:
            info = key_cache.lookup(key_hash, generation)
        except DatabaseUnavailable as exc:
            from common.api.errors import ServiceUnavailable

            raise ServiceUnavailable(
                "The database is unavailable and this key is not known to this worker yet."
            ) from exc
        if info is None or not hmac.compare_digest(info.key_hash, key_hash):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if info.revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if info.expires_at is not None and info.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if generation is not None:
            key_cache.touch(info)
        return ApiKeyUser(info), info

    def authenticate_header(self, request):
        return 'Bearer realm="hive"'


def warm_key(request, scope: str, generation: int) -> KeyInfo | None:
    """The request's API key when this worker validated it at ``generation`` and it is live with ``scope``;
    None otherwise (never queries): the fast paths' check, before they skip DRF's authentication."""
    raw = raw_key_from_request(request)
    if raw is None or "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return None
    info = key_cache.peek(hash_key(raw), generation)
    if info is None or info.revoked or scope not in info.scopes:
        return None
    if info.expires_at is not None and info.expires_at <= timezone.now():
        return None
    return info
