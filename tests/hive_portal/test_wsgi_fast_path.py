"""hive_portal/wsgi_fast_path.py, as gunicorn calls it (``hive_portal.wsgi.application``): the runtime's plain vector
search answered before Django's handler with what the whole stack answers; anything else reaches Django whole."""

from __future__ import annotations

import io
import json
import sys

import orjson
import pytest
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application

from hive_portal.testing import key_client
from hive_portal.wsgi_fast_path import KnowledgeSearchWSGIFastPath
from knowledge.api.views import KnowledgeSearchView
from runtime.models import ApiKey
from runtime.services import api_key_revoke
from runtime.watcher import watcher
from tests.knowledge.factories import make_entries, unit_vectors

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/knowledge/search"


@pytest.fixture(autouse=True)
def listening(settings):
    settings.HIVE_RUNTIME_LISTEN = True
    watcher.reset()
    yield
    watcher.reset()


@pytest.fixture
def app():
    return KnowledgeSearchWSGIFastPath(get_wsgi_application())


@pytest.fixture
def handled_by_django():
    """How many requests Django's handler started (its request_started signal)."""
    started = []

    def count(sender, **kwargs):
        started.append(sender)

    request_started.connect(count)
    yield started
    request_started.disconnect(count)


@pytest.fixture
def drf_calls(monkeypatch):
    calls = []
    original = KnowledgeSearchView.post

    def counting(self, request, *args, **kwargs):
        calls.append(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(KnowledgeSearchView, "post", counting)
    return calls


@pytest.fixture
def searcher(api_key_factory):
    vectors = unit_vectors(40, seed=3)
    make_entries(vectors, business_units=["pix"] * 20 + ["cards"] * 20)
    _, raw = api_key_factory("knowledge:search")
    client = key_client(raw)
    query = vectors[3].tolist()
    assert client.post(URL, {"embedding": query}, format="json").status_code == 200  # the key is warm now
    return raw, query


def call(app, raw_key: str, body, *, path: str = URL, **environ):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    env = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)), "HTTP_AUTHORIZATION": f"Bearer {raw_key}",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        **environ,
    }  # fmt: skip
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    result = app(env, start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(started["status"].split()[0]), dict(started["headers"]), content


def test_plain_search__answered_before_django__same_bytes_and_headers_as_the_stack(
    app, searcher, handled_by_django, drf_calls, settings
):
    raw, query = searcher
    status, headers, content = call(app, raw, {"embedding": query, "limit": 3})
    assert status == 200 and handled_by_django == [] and drf_calls == []
    settings.HIVE_RUNTIME_LISTEN = False  # no listener: no fast path anywhere, the DRF view answers
    watcher.reset()
    slow_status, slow_headers, slow_content = call(app, raw, {"embedding": query, "limit": 3})
    assert slow_status == 200 and len(handled_by_django) == 1 and len(drf_calls) == 1
    assert orjson.loads(content) == orjson.loads(slow_content)
    # Content-Length differs only as the two JSON encoders write floats (1e-05 / 1e-5).
    assert {k: v for k, v in headers.items() if k != "Content-Length"} == {
        k: v for k, v in slow_headers.items() if k != "Content-Length"
    }
    assert headers["Content-Length"] == str(len(content))
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert list(headers) == list(slow_headers)  # in the order the stack adds them


def test_connection_kept_between_fast_answers__released_by_the_next_request_django_handles(app, searcher):
    from django.db import connection

    raw, query = searcher
    call(app, raw, {"embedding": query})
    held = connection.connection
    assert held is not None
    call(app, raw, {"embedding": query})
    assert connection.connection is held  # no hand-back to the pool and new checkout per search
    call(app, raw, {"query": "pix"})  # Django's: request_started/finished close it as usual
    assert connection.connection is None


@pytest.mark.parametrize(
    ("body", "environ", "expected"),
    [
        ({"embedding": [0.1, 0.2]}, {}, 400),  # not plainly valid: DRF's error, the body read again
        ({"query": "pix"}, {}, 200),  # a text query
        (None, {"QUERY_STRING": "limit=3"}, 200),  # a query string: the NUL guard's to check
        (None, {"HTTP_COOKIE": "sessionid=x"}, 200),  # a browser's request
        (None, {"HTTP_HOST": "evil.example"}, 400),  # a host Django refuses
        (None, {"CONTENT_TYPE": "text/plain"}, 415),
    ],
)
def test_anything_else__reaches_django_whole(app, searcher, handled_by_django, body, environ, expected):
    raw, query = searcher
    status, _, content = call(app, raw, body if body is not None else {"embedding": query}, **environ)
    assert status == expected, content[:300]
    assert len(handled_by_django) == 1


def test_body_over_the_limit__413_from_django(app, searcher, handled_by_django, settings):
    raw, query = searcher
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    status, _, content = call(app, raw, {"embedding": query})
    assert status == 413 and b"limit" in content and len(handled_by_django) == 1


def test_https_redirect__django_redirects(searcher, handled_by_django, settings):
    raw, query = searcher
    settings.SECURE_SSL_REDIRECT = True
    app = KnowledgeSearchWSGIFastPath(get_wsgi_application())  # SecurityMiddleware reads the setting when built
    status, headers, _ = call(app, raw, {"embedding": query})
    assert status == 301 and headers["Location"].startswith("https://") and len(handled_by_django) == 1


def test_revoked_key__refused_on_the_next_request(app, searcher, handled_by_django):
    raw, query = searcher
    assert call(app, raw, {"embedding": query})[0] == 200
    api_key_revoke(key=ApiKey.objects.get(name__startswith="key-"))
    status, _, content = call(app, raw, {"embedding": query})
    assert status == 401 and b"revoked" in content and len(handled_by_django) == 1


def test_other_paths__django(app, searcher, handled_by_django):
    raw, _ = searcher
    status, _, _ = call(app, raw, {}, path="/api/v1/agents/", REQUEST_METHOD="GET", CONTENT_LENGTH="")
    assert status in (200, 403) and len(handled_by_django) == 1


def test_production_entry_point__wraps_django_with_the_fast_path():
    from hive_portal.wsgi import application

    assert isinstance(application, KnowledgeSearchWSGIFastPath)
