"""The production path: each worker LISTENs for changes, so warm requests need no query at all, and
a committed publish, rollback or key revocation is seen by the next request."""

import time

import pytest
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from hive_portal.testing import key_client
from runtime.services import api_key_revoke
from runtime.watcher import VERIFY_INTERVAL, watcher
from versioning.components import get_kind
from versioning.services import component_publish

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
AGENT = get_kind("agent")


@pytest.fixture(autouse=True)
def listening(settings):
    settings.HIVE_RUNTIME_LISTEN = True
    watcher.reset()
    yield
    watcher.reset()


def _republish(n):
    agent = Agent.objects.get(agent_id="cards")
    agent_update(agent=agent, actor="eddie", note=f"change {n}", name=f"Name {n}")
    component_publish(kind=AGENT, component_id="cards", actor="paula")


def test_warm_request__no_query_at_all(make_agent, api_key_factory, django_assert_num_queries):
    make_agent("cards", publish=True)
    _, raw = api_key_factory("config:read")
    client = key_client(raw)
    url = reverse("api:v1:agent-config", args=["cards"])
    assert client.get(url).status_code == 200  # cold: reads the generation, builds, starts listening
    assert client.get(url).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(url)
        etag = response["ETag"]
        assert response.status_code == 200
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_every_committed_publish__is_served_by_the_next_request(make_agent, api_key_factory):
    make_agent("cards", publish=True)
    _, raw = api_key_factory("config:read")
    client = key_client(raw)
    url = reverse("api:v1:agent-config", args=["cards"])
    client.get(url)
    client.get(url)
    for n in range(25):
        _republish(n)
        assert client.get(url).json()["name"] == f"Name {n}"


def test_revoked_key__refused_on_the_next_request(make_agent, api_key_factory):
    make_agent("cards", publish=True)
    key, raw = api_key_factory("config:read")
    client = key_client(raw)
    url = reverse("api:v1:agent-config", args=["cards"])
    client.get(url)
    assert client.get(url).status_code == 200
    api_key_revoke(key=key)
    assert client.get(url).status_code == 401


def test_listening_connection__asks_for_tcp_keepalives():
    # Idle until something is published: without keepalives a firewall or NAT between a node and the database
    # may forget it, and the notifications would never arrive (README, "Several nodes").
    watcher.ensure_listening()
    assert watcher.current() is not None
    parameters = watcher._conn.info.get_parameters()
    assert (parameters["keepalives"], parameters["keepalives_idle"], parameters["keepalives_count"]) == ("1", "30", "3")


def _publish_from_another_node(monkeypatch, n):
    # This process applies its own commits without waiting for the notification (watcher.announce); another
    # node's publish reaches it only as a notification.
    with monkeypatch.context() as patched:
        patched.setattr(watcher, "announce", lambda generations: None)
        _republish(n)


def _wait_for_the_notification(timeout=2.0):
    # It arrives on the listening connection a moment after the commit (microseconds, at most a few ms here).
    from runtime.state import read_generations

    target = read_generations()
    deadline = time.monotonic() + timeout
    while watcher.current(verify=False) != target and time.monotonic() < deadline:
        time.sleep(0.001)
    assert watcher.current(verify=False) == target


def _make_check_due():
    watcher._verified_at -= VERIFY_INTERVAL


def test_listener_that_hears__periodic_check__one_query_then_warm_again(
    make_agent, api_key_factory, django_assert_num_queries, monkeypatch, caplog
):
    make_agent("cards", publish=True)
    _, raw = api_key_factory("config:read")
    client = key_client(raw)
    url = reverse("api:v1:agent-config", args=["cards"])
    client.get(url)
    client.get(url)
    _publish_from_another_node(monkeypatch, 1)
    _wait_for_the_notification()
    assert client.get(url).json()["name"] == "Name 1"  # by the notification
    _make_check_due()
    with django_assert_num_queries(1):  # the check: one primary-key read, the document is cached
        assert client.get(url).json()["name"] == "Name 1"
    with django_assert_num_queries(0):
        assert client.get(url).json()["name"] == "Name 1"
    assert not [r for r in caplog.records if r.name == "runtime.watcher" and r.levelname == "ERROR"]


def test_deaf_listener__found_by_the_periodic_check__the_worker_reads_per_request_from_then_on(
    make_agent, api_key_factory, monkeypatch, caplog
):
    make_agent("cards", publish=True)
    key, raw = api_key_factory("config:read")
    client = key_client(raw)
    url = reverse("api:v1:agent-config", args=["cards"])
    client.get(url)
    assert client.get(url).json()["name"] == "Cards specialist"
    # Alive but deaf, as behind a PgBouncer in transaction mode: the LISTEN went with another server connection.
    watcher._conn.execute("UNLISTEN *")

    _publish_from_another_node(monkeypatch, 1)
    assert client.get(url).json()["name"] == "Cards specialist"  # stale until the check, at most VERIFY_INTERVAL
    _make_check_due()
    assert client.get(url).json()["name"] == "Name 1"
    [error] = [r for r in caplog.records if r.name == "runtime.watcher" and r.levelname == "ERROR"]
    assert "missed a change" in error.getMessage() and "PgBouncer in transaction mode" in error.getMessage()

    # From then on every request reads the generation: the next publish and a revocation elsewhere are seen at once.
    _publish_from_another_node(monkeypatch, 2)
    assert client.get(url).json()["name"] == "Name 2"
    with monkeypatch.context() as patched:
        patched.setattr(watcher, "announce", lambda generations: None)
        api_key_revoke(key=key)
    assert client.get(url).status_code == 401
    assert watcher.current() is None


def test_deaf_listener__long_poll__holds_the_wait_instead_of_answering_at_once(make_agent, monkeypatch):
    make_agent("cards", publish=True)
    watcher.ensure_listening()
    watcher._conn.execute("UNLISTEN *")
    _publish_from_another_node(monkeypatch, 1)
    _make_check_due()
    from runtime.state import read_generations

    watcher.confirm(read_generations())
    started = time.monotonic()
    assert watcher.wait(after=0, timeout=0.3) is None
    assert time.monotonic() - started >= 0.3  # a runtime's long-poll loop does not spin against this worker
