"""The production path: each worker LISTENs for changes, so warm requests need no query at all, and
a committed publish, rollback or key revocation is seen by the next request."""

import pytest
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from hive_portal.testing import key_client
from runtime.services import api_key_revoke
from runtime.watcher import watcher
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
