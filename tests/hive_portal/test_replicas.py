"""Read replicas: what the router sends where, read-your-writes, skipped replicas, /health/ — and a real streaming
replica of the test session's PostgreSQL.

The first tests use a stand-in: ``replica_1`` is a second connection to the test database (so a page read there
works, and sees committed rows only), and its health checks answer what the test says. The last ones start a real
hot standby with ``pg_basebackup`` (``hive_portal.embedded_db.ensure_replica``) and stop it at the end.
"""

from __future__ import annotations

import copy
import shutil
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from common.read_routing import primary_reads, read_state, request_reads
from hive_portal import replicas
from hive_portal.middleware import READ_YOUR_WRITES_COOKIE, ReplicaReadMiddleware, replica_eligible
from hive_portal.replicas import ReplicaStatus, replica_monitor
from hive_portal.routers import ReplicaRouter

REPLICA = "replica_1"
DASHBOARD = "/admin/monitoring/agentmetric/dashboard/"
AUDIT_LOG = "/admin/audit/auditrecord/"


# Tests that read through replica_1 declare it (Django's test cases refuse connections to undeclared databases).
DB = pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])
DB_COMMITTED = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def replica_settings(django_db_setup):
    """``replica_1`` registered with Django for this module: the test database's settings (the fixtures below point
    its port elsewhere), TEST MIRROR default as HIVE_DATABASE_REPLICA_URLS makes it. Module-scoped, so it exists
    before pytest-django sets up a test that declares it; removed, connection and pool closed, at the end."""
    settings_dict = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])  # NAME is the test database's
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    # Django's handler configured settings.DATABASES in place and keeps that very dict: one entry serves both.
    registries = [connections.settings] + (
        [settings.DATABASES] if settings.DATABASES is not connections.settings else []
    )
    for registry in registries:
        registry[REPLICA] = settings_dict
    try:
        yield settings_dict
    finally:
        close_replica_connections()
        try:
            del connections[REPLICA]
        except AttributeError:
            pass  # never opened in this thread
        for registry in registries:
            del registry[REPLICA]
        replica_monitor.reset()


def close_replica_connections() -> None:
    wrapper = connections[REPLICA]
    wrapper.close()
    wrapper.close_pool()


@contextmanager
def replica_port(settings_dict: dict, port):
    """replica_1 on ``port`` (its pool replaced) inside the block, back on the primary's afterwards."""
    before = settings_dict["PORT"]
    close_replica_connections()
    settings_dict["PORT"] = port
    try:
        yield
    finally:
        close_replica_connections()
        settings_dict["PORT"] = before


def status_of(alias: str, state: str, lag: float | None = 0.1, error: str = "") -> ReplicaStatus:
    return ReplicaStatus(alias, state, lag, time.monotonic(), error=error)


@pytest.fixture
def fake_replica(replica_settings, monkeypatch):
    """``replica_1`` in HIVE_REPLICA_ALIASES: a second connection to the test database (seeing committed rows only)
    whose health check answers ``states[alias]`` (state, lag). Yields ``states`` for the test to change."""
    states = {REPLICA: (replicas.STREAMING, 0.1)}
    monkeypatch.setattr(replica_monitor, "_check", lambda alias: status_of(alias, *states[alias]))
    replica_monitor.reset()
    with override_settings(HIVE_REPLICA_ALIASES=[REPLICA]):
        yield states
    replica_monitor.reset()


@contextmanager
def replica_page():
    """Inside: reads as a request for a replica page would make them."""
    with request_reads(outer_transactions=len(connection.atomic_blocks)) as state:
        state.replica_allowed = True
        yield state


def knowledge_model():
    from knowledge.models import KnowledgeEntry

    return KnowledgeEntry


# --- The router -------------------------------------------------------------------------------------------------


def test_router__outside_a_request__reads_the_primary(fake_replica):
    assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS


def test_router__request_not_marked__reads_the_primary(fake_replica):
    with request_reads():
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS


def test_router__replica_page__reads_the_replica_and_keeps_it(fake_replica):
    with replica_page() as state:
        assert router.db_for_read(knowledge_model()) == REPLICA
        assert router.db_for_read(knowledge_model()) == REPLICA
        assert state.replica == REPLICA


def test_router__write__goes_to_the_primary_and_later_reads_too(fake_replica):
    with replica_page() as state:
        assert router.db_for_read(knowledge_model()) == REPLICA
        assert router.db_for_write(knowledge_model()) == DEFAULT_DB_ALIAS
        assert state.wrote is True
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS


@pytest.mark.parametrize(
    "model_path",
    [
        "django.contrib.auth.models.User",
        "django.contrib.auth.models.Permission",
        "django.contrib.sessions.models.Session",
        "runtime.models.ApiKey",
        "axes.models.AccessAttempt",
    ],
)
def test_router__who_may_do_what__always_the_primary(fake_replica, model_path):
    from django.utils.module_loading import import_string

    with replica_page():
        assert router.db_for_read(import_string(model_path)) == DEFAULT_DB_ALIAS


@DB
def test_router__inside_a_transaction_of_the_request__the_primary(fake_replica):
    from django.db import transaction

    with replica_page():
        assert router.db_for_read(knowledge_model()) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
        assert router.db_for_read(knowledge_model()) == REPLICA


@DB
def test_router__primary_reads_and_the_runtime_snapshot__the_primary(fake_replica):
    from runtime.selectors import consistent_snapshot

    with replica_page():
        with primary_reads():
            assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
        with consistent_snapshot():
            assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
        assert router.db_for_read(knowledge_model()) == REPLICA


@pytest.mark.parametrize(
    ("state", "lag"),
    [
        (replicas.LAGGING, 12.0),
        (replicas.DOWN, None),
        (replicas.NOT_STREAMING, 0.0),
        (replicas.NOT_A_REPLICA, None),
    ],
)
def test_router__replica_lagging_or_down__the_primary(fake_replica, state, lag):
    fake_replica[REPLICA] = (state, lag)
    with replica_page() as request_state:
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
        # The whole request then reads the primary, even if the replica recovers meanwhile: one source per page.
        fake_replica[REPLICA] = (replicas.STREAMING, 0.0)
        replica_monitor.reset()
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
        assert request_state.replica_allowed is False


def test_router__replica_recovers__chosen_again_after_the_next_check(fake_replica, monkeypatch):
    monkeypatch.setattr(replica_monitor, "interval", 0.05)
    monkeypatch.setattr("common.database_gate.retire_pool", lambda wrapper: None)
    fake_replica[REPLICA] = (replicas.DOWN, None)
    with replica_page():
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS
    fake_replica[REPLICA] = (replicas.STREAMING, 0.3)
    with replica_page():
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS  # the verdict is kept for `interval`
    time.sleep(0.06)
    with replica_page():
        assert router.db_for_read(knowledge_model()) == REPLICA


def test_router__migrations_never_on_a_replica__relations_across_databases_allowed(fake_replica):
    from agents.models import Agent

    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate(REPLICA, "agents", model_name="agent") is False
    assert replica_router.allow_migrate(DEFAULT_DB_ALIAS, "agents", model_name="agent") is None
    on_primary, on_replica = Agent(agent_id="a"), Agent(agent_id="b")
    on_primary._state.db, on_replica._state.db = DEFAULT_DB_ALIAS, REPLICA
    assert replica_router.allow_relation(on_primary, on_replica) is True


def test_router__no_replicas_configured__every_read_on_the_primary():
    assert settings.HIVE_REPLICA_ALIASES == []
    with replica_page():
        assert router.db_for_read(knowledge_model()) == DEFAULT_DB_ALIAS


# --- The health check --------------------------------------------------------------------------------------------


def test_monitor__keeps_a_verdict_for_the_interval_then_checks_again(fake_replica, monkeypatch):
    calls = []
    monkeypatch.setattr(replica_monitor, "_check", lambda alias: calls.append(alias) or status_of(alias, "streaming"))
    monkeypatch.setattr(replica_monitor, "interval", 0.05)
    assert replica_monitor.serving(REPLICA) and replica_monitor.serving(REPLICA)
    assert len(calls) == 1
    time.sleep(0.06)
    assert replica_monitor.serving(REPLICA)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("in_recovery", "lag", "receiving", "state"),
    [
        (True, 0, True, replicas.STREAMING),
        (True, 4.9, True, replicas.STREAMING),
        (True, 5.1, True, replicas.LAGGING),  # HIVE_REPLICA_MAX_LAG: 5
        (True, None, True, replicas.LAGGING),  # behind, and no transaction replayed yet: lag unknown
        (True, 0, False, replicas.NOT_STREAMING),  # cut off from the primary: "caught up" with nothing
        (False, None, False, replicas.NOT_A_REPLICA),  # promoted
    ],
)
def test_monitor__state_from_what_the_replica_says(replica_settings, monkeypatch, in_recovery, lag, receiving, state):
    class Answer:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql):
            assert sql == replicas.STATUS_SQL
            return self

        def fetchone(self):
            return (in_recovery, lag, receiving)

    monkeypatch.setattr("psycopg.connect", Answer)
    with override_settings(HIVE_REPLICA_ALIASES=[REPLICA]):
        status = replica_monitor._check(REPLICA)
    assert status.state == state
    assert status.serving is (state == replicas.STREAMING)


def test_monitor__replica_unreachable__down_without_waiting_for_the_pool(replica_settings):
    with replica_port(replica_settings, 9), override_settings(HIVE_REPLICA_ALIASES=[REPLICA]):  # nobody listens there
        started = time.monotonic()
        status = replica_monitor.status(REPLICA)
        assert time.monotonic() - started < 2
    assert status is not None
    assert status.state == replicas.DOWN
    assert status.error


# --- Which pages may read a replica -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "eligible"),
    [
        ("GET", DASHBOARD, True),
        ("GET", "/admin/monitoring/agentmetric/compare/", True),
        ("GET", "/admin/monitoring/routingdecision/dashboard/", True),
        ("GET", "/admin/typification/typificationhierarchy/console/", True),
        ("GET", "/admin/typification/typificationhierarchy/tree/", True),
        ("GET", AUDIT_LOG, True),
        ("GET", "/admin/audit/auditrecord/export.csv", True),
        ("GET", "/admin/versioning/componentversion/live-at/", True),
        ("GET", "/admin/agents/agent/cards/versions/", True),
        ("GET", "/admin/agents/agent/cards/compare/", True),
        ("GET", "/admin/agents/agent/cards/history/", True),
        ("GET", "/admin/agents/agent/", True),
        ("HEAD", "/admin/knowledge/knowledgeentry/", True),
        ("POST", "/api/v1/knowledge/search", True),
        ("POST", "/api/v1/typification/classify", True),
        ("GET", "/api/v1/typification/tree", True),
        # Writes, forms and everything of the runtime's configuration: the primary.
        ("POST", "/admin/agents/agent/", False),  # an admin action
        ("GET", "/admin/agents/agent/cards/change/", False),
        ("POST", "/admin/agents/agent/cards/change/", False),
        ("POST", "/admin/agents/agent/cards/publish/", False),
        ("GET", "/admin/", False),
        ("GET", "/admin/login/", False),
        ("GET", "/api/v1/agents/", False),
        ("GET", "/api/v1/agents/cards/config", False),
        ("GET", "/api/v1/teams/", False),
        ("GET", "/api/v1/teams/router/config", False),
        ("GET", "/api/v1/bundle", False),
        ("GET", "/api/v1/bundle/wait", False),
        ("POST", "/api/v1/metrics", False),
        ("POST", "/api/v1/routing-decisions", False),
        ("GET", "/health/", False),
    ],
)
def test_replica_pages__the_list(method, path, eligible):
    request = RequestFactory().generic(method, path)
    request.resolver_match = resolve(path)
    assert replica_eligible(request) is eligible


def test_replica_pages__no_runtime_configuration_endpoint_on_the_list():
    from runtime.api import urls as runtime_urls

    names = {f"api:v1:{pattern.name}" for pattern in runtime_urls.urlpatterns}
    assert {"api:v1:bundle", "api:v1:agent-config", "api:v1:team-config"} <= names
    for name in names:
        for method in ("GET", "HEAD", "POST"):
            request = RequestFactory().generic(method, "/")
            request.resolver_match = SimpleNamespace(view_name=name)
            assert replica_eligible(request) is False, (method, name)


def test_listeners__stay_on_the_primary(fake_replica, replica_settings):
    """A hot standby refuses LISTEN: the runtime's listener (and its long-poll pump), and the job worker, connect to
    the primary whatever replicas there are."""
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.utils import connector_params

    from runtime.watcher import _conninfo

    replica_settings_port = replica_settings["PORT"]
    with replica_port(replica_settings, 6543):
        primary = connections.settings[DEFAULT_DB_ALIAS]
        assert (_conninfo()["host"], _conninfo().get("port")) == (primary["HOST"], primary["PORT"] or None)
        assert app.connector.alias == DEFAULT_DB_ALIAS
        assert connector_params(settings.PROCRASTINATE_DATABASE_ALIAS)["port"] != 6543
    assert replica_settings["PORT"] == replica_settings_port


# --- Pages, through the whole middleware stack --------------------------------------------------------------------


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("ops-replica", password="x-not-used-123")


@DB
def test_pages__dashboard_get__reads_the_replica(fake_replica, client, superuser):
    client.force_login(superuser)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, CaptureQueriesContext(connection) as on_primary:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert any("agent_metrics" in q["sql"] for q in on_replica.captured_queries)
    assert not any("agent_metrics" in q["sql"] for q in on_primary.captured_queries)
    # Who the user is and what they may do: the primary.
    assert not any("auth_user" in q["sql"] or "django_session" in q["sql"] for q in on_replica.captured_queries)
    assert READ_YOUR_WRITES_COOKIE not in response.cookies


@DB
def test_pages__audit_export_streams_from_the_replica(fake_replica, client, superuser):
    client.force_login(superuser)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, CaptureQueriesContext(connection) as on_primary:
        response = client.get("/admin/audit/auditrecord/export.csv")
        body = b"".join(response.streaming_content)  # read after the view returned, as a WSGI server does
    assert response.status_code == 200 and body.startswith(b"when,user,action")
    assert any("version_history" in q["sql"] for q in on_replica.captured_queries)
    assert not any("version_history" in q["sql"] for q in on_primary.captured_queries)


@DB
def test_pages__after_a_users_write__their_next_pages_read_the_primary(fake_replica, client, superuser, make_agent):
    client.force_login(superuser)
    make_agent("cards")
    response = client.post("/admin/agents/agent/cards/change/", {"name": "Cards"})  # invalid or not: a write request
    cookie = response.cookies[READ_YOUR_WRITES_COOKIE]
    assert cookie["max-age"] == settings.HIVE_READ_YOUR_WRITES_SECONDS
    assert cookie["httponly"]
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(DASHBOARD).status_code == 200
        assert client.get(AUDIT_LOG).status_code == 200
    assert on_replica.captured_queries == []

    client.cookies.pop(READ_YOUR_WRITES_COOKIE)  # as the browser does once max-age has passed
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(AUDIT_LOG).status_code == 200
    assert any("version_history" in q["sql"] for q in on_replica.captured_queries)  # the audit log's table


@DB
def test_pages__forged_or_expired_cookie__ignored(fake_replica, client, superuser, monkeypatch):
    client.force_login(superuser)
    client.cookies[READ_YOUR_WRITES_COOKIE] = "1"  # not signed by the portal
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(AUDIT_LOG).status_code == 200
    assert on_replica.captured_queries

    signed = HttpResponse()
    signed.set_signed_cookie(READ_YOUR_WRITES_COOKIE, "1", salt="hive_portal.read_your_writes")
    request = RequestFactory().get(AUDIT_LOG)
    request.COOKIES[READ_YOUR_WRITES_COOKIE] = signed.cookies[READ_YOUR_WRITES_COOKIE].value
    assert ReplicaReadMiddleware._wrote_recently(request) is True
    later = time.time() + settings.HIVE_READ_YOUR_WRITES_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)  # the signature's timestamp is now too old
    assert ReplicaReadMiddleware._wrote_recently(request) is False


@DB
def test_pages__runtime_key_requests__no_cookie_and_config_on_the_primary(fake_replica, runtime_client, make_team):
    make_team("router", publish=True)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        for path in ("/api/v1/bundle", "/api/v1/agents/cards/config", "/api/v1/teams/router/config", "/api/v1/agents/"):
            assert runtime_client.get(path).status_code == 200, path
        posted = runtime_client.post(
            "/api/v1/metrics", {"records": [{"agent_id": "cards", "response_time_ms": 120}]}, format="json"
        )
    assert posted.status_code in (200, 201, 202), posted.content
    assert on_replica.captured_queries == []
    assert READ_YOUR_WRITES_COOKIE not in posted.cookies


@DB
def test_pages__knowledge_search_and_classify__read_the_replica_routing_from_the_primary(fake_replica, runtime_client):
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, CaptureQueriesContext(connection) as on_primary:
        search = runtime_client.post("/api/v1/knowledge/search", {"query": "cartão bloqueado"}, format="json")
        classify = runtime_client.post("/api/v1/typification/classify", {"text": "cartão bloqueado"}, format="json")
    assert search.status_code == 200, search.content
    assert classify.status_code == 200, classify.content
    assert any("knowledge_base" in q["sql"] for q in on_replica.captured_queries)
    # The published routing (configuration a runtime also holds): the primary.
    assert any("component_versions" in q["sql"] for q in on_primary.captured_queries)
    assert not any("component_versions" in q["sql"] for q in on_replica.captured_queries)


@DB
def test_pages__replica_skipped__page_reads_the_primary(fake_replica, client, superuser):
    fake_replica[REPLICA] = (replicas.LAGGING, 30.0)
    client.force_login(superuser)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(DASHBOARD).status_code == 200
    assert on_replica.captured_queries == []


@DB_COMMITTED
def test_pages__knowledge_vector_search_on_the_fast_path__reads_the_replica(fake_replica, api_key_factory, monkeypatch):
    """The fast path answers above ReplicaReadMiddleware (hive_portal.middleware.KnowledgeSearchFastPathMiddleware)
    and sends the search where the middleware would: the replica, the key's bookkeeping to the primary."""
    from hive_portal.testing import key_client
    from knowledge.api.views import KnowledgeSearchView
    from runtime.watcher import watcher
    from tests.knowledge.factories import make_entries, unit_vectors

    vectors = unit_vectors(5, seed=4)
    make_entries(vectors, business_units="pix")
    _, raw = api_key_factory("knowledge:search")
    client = key_client(raw)
    body = {"embedding": vectors[1].tolist(), "limit": 2}
    with override_settings(HIVE_RUNTIME_LISTEN=True):
        watcher.reset()
        try:
            assert client.post("/api/v1/knowledge/search", body, format="json").status_code == 200  # DRF: key validated
            monkeypatch.setattr(KnowledgeSearchView, "post", lambda *args, **kwargs: pytest.fail("not the fast path"))
            with (
                CaptureQueriesContext(connections[REPLICA]) as on_replica,
                CaptureQueriesContext(connection) as on_primary,
            ):
                response = client.post("/api/v1/knowledge/search", body, format="json")
        finally:
            watcher.reset()
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["distance"] == pytest.approx(0.0, abs=1e-5)
    assert any("knowledge_base" in q["sql"] for q in on_replica.captured_queries)
    assert not any("knowledge_base" in q["sql"] for q in on_primary.captured_queries)
    assert READ_YOUR_WRITES_COOKIE not in response.cookies


def test_middleware__state_lives_for_one_request_only(fake_replica):
    seen = []

    def view(request):
        seen.append(read_state())
        return HttpResponse()

    middleware = ReplicaReadMiddleware(view)
    middleware(RequestFactory().get(DASHBOARD))
    assert seen[0] is not None
    assert read_state() is None


# --- /health/ ------------------------------------------------------------------------------------------------------


@DB
def test_health__replica_listed_with_its_lag(fake_replica, client, superuser):
    client.force_login(superuser)
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    (replica,) = body["replicas"]
    assert replica["alias"] == REPLICA
    assert replica["state"] == "streaming"
    assert replica["lag_seconds"] == 0.1
    assert replica["serving"] is True
    assert replica["url"].startswith("postgresql://")


@DB
def test_health__replica_down__degraded_but_200(fake_replica, client, superuser):
    fake_replica[REPLICA] = (replicas.DOWN, None)
    anonymous = client.get("/health/")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "degraded"}
    client.force_login(superuser)
    body = client.get("/health/").json()
    assert body["status"] == "degraded"
    assert body["replicas"][0]["state"] == "down"
    assert body["replicas"][0]["serving"] is False
    assert "primary" in body["degraded"]


# --- A real streaming replica ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def streaming_replica(django_db_setup, django_db_blocker):
    """A hot standby of the test session's PostgreSQL (made after the test database, so it holds it), on its own
    port; stopped and deleted at the end of the module."""
    from hive_portal.embedded_db import REPLICA_FOLDER, ensure_replica, running_server, stop_server

    if not settings.HIVE_EMBEDDED_DATABASE:
        pytest.skip("needs the embedded test database, whose files pg_basebackup copies")
    primary = settings.DATA_DIR / "pgdata"
    replica_pgdata = settings.DATA_DIR / REPLICA_FOLDER
    port = running_server(primary).port + 1
    try:
        started = time.monotonic()
        ensure_replica(primary, replica_pgdata, port)
        made_in = time.monotonic() - started
        yield {"pgdata": replica_pgdata, "port": port, "made_in": made_in}
    finally:
        stop_server(replica_pgdata)
        shutil.rmtree(replica_pgdata, ignore_errors=True)


@pytest.fixture
def real_replica(streaming_replica, replica_settings):
    """replica_1 is the real hot standby (its own port) for this test."""
    from hive_portal.embedded_db import start_replica

    start_replica(streaming_replica["pgdata"])  # a test before may have stopped it
    replica_monitor.reset()
    with replica_port(replica_settings, streaming_replica["port"]), override_settings(HIVE_REPLICA_ALIASES=[REPLICA]):
        yield streaming_replica
    replica_monitor.reset()


def wait_until_on_replica(sql: str, params=(), timeout: float = 5.0) -> float:
    """Seconds until ``sql`` returns a row on the replica (polled every 5 ms)."""
    started = time.monotonic()
    while True:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone():
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not on the replica after {timeout} s: {sql}")
        time.sleep(0.005)


@pytest.mark.postgres_only
@DB_COMMITTED
def test_real_replica__a_write_is_read_there_within_a_second(real_replica, capsys):
    from monitoring.models import AgentMetric

    status = replica_monitor.status(REPLICA, fresh=True)
    assert status is not None and status.state == replicas.STREAMING, status
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)

    connections[REPLICA].ensure_connection()  # measure the streaming, not the connecting
    AgentMetric.objects.create(
        agent_id="replica-probe", response_time_ms=1, tokens_used=1, success=True, created_at=timezone.now()
    )
    lag = wait_until_on_replica("SELECT 1 FROM agent_metrics WHERE agent_id = %s", ["replica-probe"])  # from commit
    assert lag < 1.0
    with capsys.disabled():
        print(
            f"\n[replica] made (pg_basebackup + start) in {real_replica['made_in']:.2f} s; a row committed on the "
            f"primary was read there {lag * 1000:.1f} ms later (monitor: {status.state}, lag {status.lag} s)"
        )
    with connections[REPLICA].cursor() as cursor, pytest.raises(Exception, match="read-only|recovery"):
        cursor.execute("DELETE FROM agent_metrics")
    connections[REPLICA].close()
    with (
        connections[REPLICA].cursor() as cursor,
        pytest.raises(Exception, match="cannot execute LISTEN during recovery"),
    ):
        cursor.execute("LISTEN hive_runtime")  # why every listener stays on the primary


@pytest.mark.postgres_only
@DB_COMMITTED
def test_real_replica__dashboard_and_audit_log_read_it__bundle_does_not(real_replica, client, superuser, make_team):
    from agents.models import Agent
    from agents.services import agent_update
    from hive_portal.testing import key_client, make_api_key
    from monitoring.services import agent_metrics_ingest
    from versioning.components import get_kind
    from versioning.services import component_publish

    make_team("router", publish=True)
    agent_metrics_ingest(
        records=[{"agent_id": "cards", "response_time_ms": 321, "tokens_used": 9, "created_at": timezone.now()}]
    )
    wait_until_on_replica("SELECT 1 FROM agent_metrics_daily WHERE agent_id = 'cards'")  # the dashboard's rollup
    client.force_login(superuser)

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        dashboard = client.get(DASHBOARD, {"range": "7d"})
        audit = client.get(AUDIT_LOG)
    assert dashboard.status_code == 200 and audit.status_code == 200
    assert "cards" in dashboard.content.decode()
    assert any("agent_metrics" in q["sql"] for q in on_replica.captured_queries)
    assert any("version_history" in q["sql"] for q in on_replica.captured_queries)  # the audit log's table
    assert "router" in audit.content.decode()  # the audit rows of the team, read from the replica

    # The runtime's configuration: the primary, always — also right after a change the replica may not have yet.
    _, raw = make_api_key(name="replica-runtime", scopes=["config:read"])
    runtime = key_client(raw)
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="test", note="newer", role="A newer role")
    component_publish(kind=get_kind("agent"), component_id="cards", actor="test")
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        bundle = runtime.get("/api/v1/bundle")
        config = runtime.get("/api/v1/agents/cards/config")
    assert bundle.status_code == 200 and config.status_code == 200
    assert on_replica.captured_queries == []
    assert config.json()["role"] == "A newer role"


@pytest.mark.postgres_only
@DB_COMMITTED
def test_real_replica__stopped__pages_served_from_the_primary_and_health_says_so(
    real_replica, client, superuser, monkeypatch, caplog
):
    from hive_portal.embedded_db import stop_server

    client.force_login(superuser)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(AUDIT_LOG).status_code == 200
    assert on_replica.captured_queries  # it served

    # Stopped after the last check said "streaming": the next page meets the failure itself and is served again from
    # the primary; the check it triggers marks the replica down.
    monkeypatch.setattr(replica_monitor, "interval", 60.0)
    assert replica_monitor.serving(REPLICA)
    assert stop_server(real_replica["pgdata"])
    started = time.monotonic()
    response = client.get(AUDIT_LOG)
    assert response.status_code == 200
    assert time.monotonic() - started < settings.DATABASES[REPLICA]["OPTIONS"]["pool"]["timeout"] + 2
    assert "Read replica replica_1 failed a read" in caplog.text
    assert "now down" in caplog.text
    assert not replica_monitor.serving(REPLICA)

    # Known down: skipped at once, no query tried there.
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(DASHBOARD).status_code == 200
    assert on_replica.captured_queries == []

    health = client.get("/health/")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["replicas"][0]["state"] == replicas.DOWN
    assert body["replicas"][0]["serving"] is False
