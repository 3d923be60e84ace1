"""With the database really stopped, every view that needs it answers 503 + Retry-After at once (one
back-off shared by all paths), the admin login says so in words, and the portal recovers by itself."""

import time

import pytest
from django.db import connection
from django.urls import reverse

from common.database_gate import PROBE_INTERVAL, database_gate
from hive_portal.testing import error_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

API_CALLS = [
    ("post", "/api/v1/metrics", {"records": [{"agent_id": "cards", "response_time_ms": 5}]}),
    ("post", "/api/v1/routing-decisions", {"records": [{"session_id": "s", "query": "pix", "routed_to": "cards"}]}),
    ("post", "/api/v1/typification/classify", {"text": "meu pix não caiu"}),
    ("get", "/api/v1/typification/tree", None),
    ("post", "/api/v1/knowledge/search", {"query": "como bloquear o cartão"}),
]


def _call(client, method, path, body):
    if method == "post":
        return client.post(path, body, format="json")
    return client.get(path)


@pytest.fixture
def pool_checkouts(monkeypatch):
    """How many connections the views asked the pool for (the real pool, counted)."""
    pool = connection.pool
    real = pool.getconn
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pool, "getconn", counting)
    return calls


def test_database_down__every_endpoint_needing_it__503_retry_after_in_the_shared_shape(
    runtime_client, make_team, database_outage
):
    stop, _ = database_outage
    make_team("router", publish=True)
    assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200  # the key is known to this worker
    stop()
    for method, path, body in API_CALLS:
        response = _call(runtime_client, method, path, body)
        assert response.status_code == 503, (path, response.content)
        assert int(response["Retry-After"]) > 0
        assert error_of(response)["code"] == "service_unavailable"
    assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200  # configs: served stale


def test_database_down__once_known__no_request_waits_for_the_pool(
    runtime_client, make_team, database_outage, pool_checkouts
):
    stop, _ = database_outage
    make_team("router", publish=True)
    assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200
    stop()
    first = runtime_client.post(*API_CALLS[0][1:], format="json")
    assert first.status_code == 503 and database_gate.down
    asked = len(pool_checkouts)
    for _ in range(3):
        for method, path, body in API_CALLS:
            assert _call(runtime_client, method, path, body).status_code == 503
        assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200
    assert len(pool_checkouts) == asked  # refused (or served stale) without asking the pool


def test_database_down__admin_login__friendly_page_not_a_500(client, database_outage):
    stop, _ = database_outage
    stop()
    for response in (
        client.get("/admin/login/"),
        client.post("/admin/login/", {"username": "admin", "password": "x" * 12}),
        client.get("/admin/"),
    ):
        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        assert "The database is unavailable" in response.content.decode()


def test_database_down__health_says_unavailable(client, database_outage):
    stop, _ = database_outage
    stop()
    response = client.get("/health/")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


def test_database_back__recovers_by_itself_within_the_probe_interval(runtime_client, make_team, database_outage):
    stop, start = database_outage
    make_team("router", publish=True)
    metric = API_CALLS[0][2]
    assert runtime_client.post("/api/v1/metrics", metric, format="json").status_code == 201
    stop()
    assert runtime_client.post("/api/v1/metrics", metric, format="json").status_code == 503
    start(reset=False)  # the portal is not told: its next probe must find the database
    time.sleep(PROBE_INTERVAL)  # the earliest the next probe may run, not a measured duration
    assert runtime_client.post("/api/v1/metrics", metric, format="json").status_code == 201
    assert runtime_client.post("/api/v1/typification/classify", {"text": "pix"}, format="json").status_code == 200
    assert not database_gate.down


def test_query_error_on_a_healthy_database__not_an_outage(db):
    from django.db import OperationalError

    assert database_gate.confirm_down() is False
    assert not database_gate.down
    assert database_gate.refuses() is False
    assert isinstance(OperationalError(), Exception)


def test_database_stopped_under_concurrent_load__stale_configs_503_writes_nothing_accepted_lost(
    live_server, make_team, database_outage
):
    """Runtimes keep fetching configs and posting metrics while the database stops and starts again."""
    import json
    import threading
    import urllib.error
    import urllib.request

    from hive_portal.testing import make_api_key
    from monitoring.models import AgentMetric

    stop_db, start_db = database_outage
    make_team("router", publish=True)
    _, key = make_api_key("load", ["config:read", "metrics:write"])
    base = live_server.url
    config_url = f"{base}/api/v1/agents/cards/config"

    def call(url, body=None, idempotency_key=None):
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers)

    for _ in range(3):
        assert call(config_url)[0] == 200  # cached by the server before the outage
    done = threading.Event()
    configs: list[tuple[int, dict]] = []
    writes: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def runtime(n):
        i = 0
        while not done.is_set():
            i += 1
            session = f"load-{n}-{i}"
            status, headers = call(
                f"{base}/api/v1/metrics",
                {"records": [{"agent_id": "cards", "session_id": session, "response_time_ms": i}]},
                idempotency_key=session,
            )
            fetched = call(config_url)
            with lock:
                writes.append((session, status, headers))
                configs.append(fetched)

    threads = [threading.Thread(target=runtime, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # pacing the phases, not a measurement
    stop_db()
    time.sleep(1.5)
    start_db(reset=False)
    # Keep the load on until a dozen writes in a row are accepted again (bounded: a liveness check, the
    # time it takes is bench/database_down.py's business).
    deadline = time.monotonic() + 20
    recovered = False
    while time.monotonic() < deadline:
        with lock:
            recent = [status for _, status, _ in writes[-12:]]
        if len(recent) == 12 and set(recent) == {201}:
            recovered = True
            break
        time.sleep(0.1)
    done.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = [status for _, status, _ in writes]
    assert set(statuses) <= {201, 503}, sorted(set(statuses))
    assert 503 in statuses and 201 in statuses
    assert all(int(h["Retry-After"]) > 0 for _, status, h in writes if status == 503)
    assert {status for status, _ in configs} == {200}  # fresh or stale, never an error
    assert any(h.get("X-Hive-Stale") == "true" for _, h in configs)
    accepted = {session for session, status, _ in writes if status == 201}
    connection.close()  # this thread's own connection died with the server
    stored = set(AgentMetric.objects.values_list("session_id", flat=True))
    assert accepted <= stored  # nothing acknowledged is lost
    # Writes are accepted again after the restart: a dozen in a row. (Not "never a 503 afterwards": a request
    # that drew a connection which died with the server can still be refused, with Retry-After, for about a
    # second after recovery; and the list is in order of completion of write + config fetch, not of writes.)
    assert recovered, statuses[-24:]
