"""The runtime client against the real portal: httpx requests are served by Django's views in process
(the real authentication, fast path, database and serializers), without a socket."""

from __future__ import annotations

import os
import threading
from io import StringIO

import httpx
import pytest

os.environ.setdefault("AGNO_TELEMETRY", "false")


class PortalTransport(httpx.BaseTransport):
    """Serves httpx requests with django.test.Client. ``down`` makes every request fail to connect."""

    def __init__(self):
        self.down = False
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from django.test import Client

        with self.lock:
            self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("portal down", request=request)
        headers = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in request.headers.items()
            if k.lower() not in ("content-type", "content-length", "host")
        }
        try:
            response = Client().generic(
                request.method,
                request.url.raw_path.decode(),
                data=request.content,
                content_type=request.headers.get("content-type", "application/octet-stream"),
                **headers,
            )
        finally:
            if threading.current_thread() is not threading.main_thread():
                # The client's reporter and watcher threads: give their connection back to the pool the
                # whole test session shares, as a server thread does at the end of a request.
                from django.db import connections

                connections.close_all()
        return httpx.Response(response.status_code, headers=dict(response.items()), content=response.content)


@pytest.fixture
def transport():
    return PortalTransport()


@pytest.fixture
def runtime_key(api_key_factory):
    _, raw = api_key_factory("config:read", "metrics:write", "knowledge:search", name="runtime-client")
    return raw


@pytest.fixture
def portal_factory(transport, runtime_key, tmp_path):
    from hive_portal_client import HivePortal

    made = []

    def factory(**kwargs):
        kwargs.setdefault("cache_dir", tmp_path / "cache")
        http = httpx.Client(base_url="http://portal.test", transport=kwargs.pop("transport", transport))
        portal = HivePortal("http://portal.test", runtime_key, http=http, **kwargs)
        made.append(portal)
        return portal

    yield factory
    for portal in made:
        portal.close()


@pytest.fixture
def demo(db):
    from hive_portal.demo import load_demo

    load_demo(StringIO())


def card_lookup(last4: str) -> str:
    """Look a card up by its last four digits."""
    return f"card {last4}: active"


def block_card(last4: str) -> str:
    """Block a card."""
    return f"card {last4}: blocked"


def pix_transaction_lookup(transaction_id: str) -> str:
    """Look a Pix transfer up."""
    return f"pix {transaction_id}: completed"


DEMO_TOOLS = [card_lookup, block_card, pix_transaction_lookup]
