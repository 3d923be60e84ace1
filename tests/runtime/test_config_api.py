"""Contract of the runtime configuration endpoints: shape, versions, ETags, publish visibility."""

import pytest
from django.urls import reverse

from agents.services import agent_update
from hive_portal.testing import error_of
from versioning.components import get_kind
from versioning.services import component_publish, component_rollback, component_set_active

pytestmark = pytest.mark.django_db
AGENT = get_kind("agent")
TEAM = get_kind("team")


def agent_url(agent_id, **query):
    url = reverse("api:v1:agent-config", args=[agent_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _republish(agent_id, **fields):
    from agents.models import Agent

    agent = Agent.objects.get(agent_id=agent_id)
    agent_update(agent=agent, actor="eddie", note="change", **fields)
    return component_publish(kind=AGENT, component_id=agent_id, actor="paula")


def test_agent_config__agno_shape(runtime_client, make_agent):
    make_agent(
        "cards",
        publish=True,
        system_prompt="",
        parameters={"markdown": True, "num_history_runs": 4, "add_history_to_context": True},
    )
    response = runtime_client.get(agent_url("cards"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "cards" and body["name"] == "Cards specialist"
    assert body["instructions"] == ["Be concise.", "Never ask for the card's CVV."]
    # Agno's Model.to_dict() shape: the class's provider and name, every setting beside them.
    assert body["model"] == {"provider": "OpenAI", "name": "OpenAIResponses", "id": "gpt-4o", "temperature": 0.2}
    assert "system_message" not in body and body["markdown"] is True and body["num_history_runs"] == 4
    # Function.to_dict() shape, which Agno's Registry binds to the runtime's function of that name.
    assert body["tools"] == [
        {"name": "card_lookup", "parameters": {"type": "object", "properties": {}, "required": []}}
    ]
    assert body["metadata"]["hive"]["version"] == 1 and body["metadata"]["hive"]["live"] is True
    assert response["X-Hive-Version"] == "1" and response["ETag"].startswith('"')


def test_agent_config__draft_is_never_served(runtime_client, make_agent):
    make_agent("cards", publish=True)
    from agents.models import Agent

    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="e", note="draft", name="Draft name")
    assert runtime_client.get(agent_url("cards")).json()["name"] == "Cards specialist"
    assert runtime_client.get(agent_url("cards", version=2)).status_code == 404


def test_agent_config__older_version_by_query(runtime_client, make_agent):
    make_agent("cards", publish=True)
    _republish("cards", name="Second")
    old = runtime_client.get(agent_url("cards", version=1))
    assert old.status_code == 200 and old.json()["name"] == "Cards specialist"
    assert old.json()["metadata"]["hive"]["live"] is False
    assert runtime_client.get(agent_url("cards")).json()["name"] == "Second"


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_agent_config__bad_version__400_naming_the_field(runtime_client, make_agent, value):
    make_agent("cards", publish=True)
    response = runtime_client.get(agent_url("cards", version=value))
    assert response.status_code == 400
    assert "version" in error_of(response)["fields"]


def test_agent_config__unknown_unpublished_or_inactive__404_json(runtime_client, make_agent):
    make_agent("draft-only")
    make_agent("paused", publish=True)
    component_set_active(kind=AGENT, component_id="paused", active=False, actor="paula")
    for agent_id in ("nope", "draft-only", "paused"):
        response = runtime_client.get(agent_url(agent_id))
        assert response.status_code == 404, agent_id
        assert error_of(response)["code"] == "not_found"


def test_publish__is_visible_on_the_next_request(runtime_client, make_agent):
    make_agent("cards", publish=True)
    first = runtime_client.get(agent_url("cards"))
    _republish("cards", instructions=["Only this."])
    second = runtime_client.get(agent_url("cards"))
    assert second.json()["instructions"] == ["Only this."]
    assert second["ETag"] != first["ETag"] and second["X-Hive-Version"] == "2"


def test_rollback__is_visible_on_the_next_request(runtime_client, make_agent):
    make_agent("cards", publish=True)
    _republish("cards", name="Bad")
    assert runtime_client.get(agent_url("cards")).json()["name"] == "Bad"
    component_rollback(kind=AGENT, component_id="cards", to_version=1, actor="paula", note="revert")
    body = runtime_client.get(agent_url("cards")).json()
    assert body["name"] == "Cards specialist" and body["metadata"]["hive"]["version"] == 3


def test_etag__if_none_match_gives_304_until_something_changes(runtime_client, make_agent):
    make_agent("cards", publish=True)
    etag = runtime_client.get(agent_url("cards"))["ETag"]
    not_modified = runtime_client.get(agent_url("cards"), HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag and not not_modified.content
    _republish("cards", name="Changed")
    assert runtime_client.get(agent_url("cards"), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_team_config__member_references_in_position_order_with_their_documents(runtime_client, make_team):
    make_team("router", publish=True)
    _republish("pix", instructions=["Pix v2"])
    body = runtime_client.get(reverse("api:v1:team-config", args=["router"])).json()
    assert body["mode"] == "route" and body["respond_directly"] is True  # what route mode sets in Agno
    assert body["members"] == [{"type": "agent", "agent_id": "cards"}, {"type": "agent", "agent_id": "pix"}]
    components = body["metadata"]["hive"]["components"]["agents"]
    assert components["pix"]["instructions"] == ["Pix v2"]  # the member's currently published config
    assert components["pix"]["metadata"]["hive"]["version"] == 2
    assert body["metadata"]["hive"]["members"] == {"cards": 1, "pix": 2}


def test_indexes__list_published_active_components(runtime_client, make_team, make_agent):
    make_team("router", publish=True)
    make_agent("unpublished")
    agents = runtime_client.get(reverse("api:v1:agent-index")).json()["agents"]
    assert [a["id"] for a in agents] == ["cards", "pix"]
    assert set(agents[0]) == {"id", "version", "published_at", "content_hash"}
    teams = runtime_client.get(reverse("api:v1:team-index")).json()["teams"]
    assert [t["id"] for t in teams] == ["router"]


def test_bundle__everything_in_one_state_with_a_bundle_version(runtime_client, make_team):
    make_team("router", publish=True)
    first = runtime_client.get(reverse("api:v1:bundle"))
    body = first.json()
    assert set(body) == {"bundle_version", "environment", "agents", "teams", "typification", "rollouts"}
    assert body["environment"] == "staging"  # the key's environment: the first by default
    assert set(body["agents"]) == {"cards", "pix"} and set(body["teams"]) == {"router"}
    assert body["teams"]["router"]["members"][0] == {"type": "agent", "agent_id": "cards"}
    assert first["X-Hive-Bundle-Version"] == str(body["bundle_version"])
    _republish("cards", name="Renamed")
    second = runtime_client.get(reverse("api:v1:bundle")).json()
    assert second["bundle_version"] > body["bundle_version"]
    assert second["agents"]["cards"]["name"] == "Renamed"
    assert second["teams"]["router"]["metadata"]["hive"]["components"]["agents"]["cards"]["name"] == "Renamed"


def test_warm_request__one_small_query_whatever_the_config_size(
    runtime_client, make_agent, django_assert_max_num_queries
):
    make_agent("big", publish=True, instructions=[f"Instruction {i}: " + "x" * 500 for i in range(300)])
    assert runtime_client.get(agent_url("big")).status_code == 200  # builds and caches
    with django_assert_max_num_queries(1):
        assert runtime_client.get(agent_url("big")).status_code == 200
    assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200  # builds and caches
    with django_assert_max_num_queries(1):
        assert runtime_client.get(reverse("api:v1:bundle")).status_code == 200


def test_browsable_api__for_logged_in_staff(client, publisher, make_agent):
    make_agent("cards", publish=True)
    client.force_login(publisher)
    response = client.get(agent_url("cards"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"Cards specialist" in response.content
