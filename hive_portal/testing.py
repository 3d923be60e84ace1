"""Shared test helpers (imported by tests/conftest.py and the app test modules)."""

from __future__ import annotations

from typing import Iterable

from rest_framework.test import APIClient


def reset_process_caches() -> None:
    """Forget every per-worker cache: tests roll the database back, caches would outlive it."""
    from runtime.authentication import key_cache
    from runtime.documents import document_cache
    from runtime.state import reset_backoff

    key_cache.clear()
    document_cache.clear()
    reset_backoff()


def make_api_key(name: str = "test-runtime", scopes: Iterable[str] = ("config:read",)):
    from runtime.services import api_key_create

    return api_key_create(name=name, scopes=list(scopes))


def key_client(raw_key: str, *, header: str = "bearer") -> APIClient:
    client = APIClient()
    if header == "bearer":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    else:
        client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def error_of(response) -> dict:
    """The ``error`` object of an API error response, asserting the shared shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]
