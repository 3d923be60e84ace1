"""GET bundle/wait: a long-poll held only by a server started for it, answered at once by the sync workers."""

import threading

import pytest
from django.urls import reverse

from hive_portal.testing import error_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

URL = reverse("api:v1:bundle-wait")


@pytest.fixture(autouse=True)
def listening(settings):
    from runtime.watcher import watcher

    settings.HIVE_RUNTIME_LISTEN = True
    watcher.reset()  # each test's database starts the generations afresh
    yield
    watcher.reset()


def _current(runtime_client) -> int:
    return runtime_client.get(reverse("api:v1:bundle")).json()["bundle_version"]


def _publish_rename(name: str) -> None:
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="e", note="rename", name=name)
    component_publish(kind=get_kind("agent"), component_id="cards", actor="p")


def test_sync_server__answers_at_once_without_waiting(runtime_client, make_agent, settings):
    settings.HIVE_LONG_POLL = False
    make_agent("cards", publish=True)
    current = _current(runtime_client)
    body = runtime_client.get(URL, {"after": current, "timeout": 30}).json()
    assert body == {"bundle_version": current, "changed": False, "waited": False}
    assert runtime_client.get(URL, {"after": current - 1}).json()["changed"] is True


def test_long_poll_server__returns_when_a_publish_commits(runtime_client, make_agent, settings):
    settings.HIVE_LONG_POLL = True
    make_agent("cards", publish=True)
    current = _current(runtime_client)
    answers = []
    waiter = threading.Thread(
        target=lambda: answers.append(runtime_client.get(URL, {"after": current, "timeout": 30}).json())
    )
    waiter.start()
    _publish_rename("Renamed")
    waiter.join(60)
    assert answers and answers[0]["changed"] is True and answers[0]["waited"] is True
    assert answers[0]["bundle_version"] == _current(runtime_client) > current
    assert runtime_client.get(reverse("api:v1:bundle")).json()["agents"]["cards"]["name"] == "Renamed"


def test_long_poll_server__nothing_changed__answers_after_the_timeout(runtime_client, make_agent, settings):
    settings.HIVE_LONG_POLL = True
    make_agent("cards", publish=True)
    current = _current(runtime_client)
    assert runtime_client.get(URL, {"after": current, "timeout": 1}).json() == {
        "bundle_version": current, "changed": False, "waited": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    "query, field", [({}, "after"), ({"after": 1, "timeout": 31}, "timeout"), ({"after": -1}, "after")]
)
def test_bad_query__400_naming_the_field(runtime_client, query, field):
    response = runtime_client.get(URL, query)
    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_needs_a_key_with_config_read(client, api_key_factory):
    from hive_portal.testing import key_client

    assert client.get(URL, {"after": 0}).status_code == 401
    _, raw = api_key_factory("metrics:write")
    assert key_client(raw).get(URL, {"after": 0}).status_code == 403
