"""The bundle from per-worker parts, and ``?since=N``: a runtime holding bundle N gets only what changed, and
merging it gives exactly the whole bundle a worker with no parts yet builds from the database (the reference: a
fresh ``BundleBuilder``; each document equals its own endpoint's, tests/runtime/test_agno_documents.py)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.utils import timezone

from hive_portal.testing import error_of
from hive_portal_client.client import merge_delta
from runtime.bundle import BundleBuilder, bundle_builder
from runtime.selectors import consistent_snapshot, snapshot_generation

pytestmark = pytest.mark.django_db

URL = "/api/v1/bundle"


@pytest.fixture
def demo(db):
    from hive_portal.demo import load_demo

    load_demo(StringIO())


def _reference() -> dict:
    with consistent_snapshot():
        generation = snapshot_generation()
        return json.loads(BundleBuilder().build(generation, "staging").body)


def _publish_agent(agent_id: str, **fields):
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent = Agent.objects.get(agent_id=agent_id)
    agent_update(agent=agent, actor="eddie", note="change", **fields)
    return component_publish(kind=get_kind("agent"), component_id=agent_id, actor="paula")


def _set_active(component_type: str, component_id: str, active: bool):
    from versioning.components import get_kind
    from versioning.services import component_set_active

    component_set_active(kind=get_kind(component_type), component_id=component_id, active=active, actor="paula")


def _new_agent_published(agent_id: str):
    from agents.services import agent_create
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent_create(
        actor="eddie", note="new", agent_id=agent_id, name="Seguros", model_provider="openai", model_name="gpt-4o",
        instructions=["Fale de seguros."],
    )  # fmt: skip
    component_publish(kind=get_kind("agent"), component_id=agent_id, actor="paula")


def _drop_member_and_publish():
    from teams.models import Team
    from teams.services import team_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    team = Team.objects.get(team_id="customer-service-router")
    members = [m.agent for m in team.memberships.order_by("position") if m.agent.agent_id != "credit-specialist"]
    team_update(team=team, actor="eddie", note="two members", members=members)
    component_publish(kind=get_kind("team"), component_id="customer-service-router", actor="paula")


def _start_team_rollout():
    from versioning.components import get_kind
    from versioning.rollouts import rollout_start

    # Production gets a rollout of the team's newer staging version; the bundle here is staging's, so the
    # production rollout must not show in it — and the staging bundle must still merge exactly.
    _drop_member_and_publish()
    rollout_start(
        kind=get_kind("team"), component_id="customer-service-router", environment="production", percent=20,
        actor="paula", note="try",
    )  # fmt: skip


CHANGES = {
    "publish a member agent": lambda: _publish_agent("pix-specialist", description="Pix (revisado)."),
    "a new agent": lambda: _new_agent_published("insurance-specialist"),
    "a team drops a member": _drop_member_and_publish,
    "deactivate the team": lambda: _set_active("team", "customer-service-router", False),
    "a rollout elsewhere": _start_team_rollout,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_since__merged_delta_is_exactly_the_whole_bundle(runtime_client, demo, change):
    held = runtime_client.get(URL).json()
    assert held == _reference()  # the assembled bytes say what the reference builds
    CHANGES[change]()
    response = runtime_client.get(URL, {"since": held["bundle_version"]})
    assert response.status_code == 200
    delta = response.json()
    assert delta["delta"] is True and delta["since"] == held["bundle_version"]
    assert merge_delta(held, delta) == _reference() == runtime_client.get(URL).json()


def test_since__deactivated_agent__removed(runtime_client, demo):
    _new_agent_published("insurance-specialist")
    held = runtime_client.get(URL).json()
    _set_active("agent", "insurance-specialist", False)
    delta = runtime_client.get(URL, {"since": held["bundle_version"]}).json()
    assert delta["removed"] == {"agents": ["insurance-specialist"], "teams": []} and delta["agents"] == {}
    assert merge_delta(held, delta) == _reference()


def test_since__one_agent_change__sends_that_agent_not_its_team(runtime_client, demo):
    held = runtime_client.get(URL).json()
    _publish_agent("pix-specialist", description="Pix (revisado).")
    body = runtime_client.get(URL, {"since": held["bundle_version"]}).content
    delta = json.loads(body)
    assert list(delta["agents"]) == ["pix-specialist"] and delta["teams"] == {}
    assert "typification" not in delta and delta["removed"] == {"agents": [], "teams": []}
    agent_bytes = len(json.dumps(delta["agents"]["pix-specialist"], ensure_ascii=False, separators=(",", ":")))
    assert len(body) <= 2 * agent_bytes  # the bound: bytes per runtime per one-agent change


def test_since__current_version__304_without_a_body(runtime_client, demo):
    held = runtime_client.get(URL).json()
    response = runtime_client.get(URL, {"since": held["bundle_version"]})
    assert response.status_code == 304 and response.content == b""


def test_since__a_bundle_this_worker_never_built__the_whole_bundle(runtime_client, demo):
    held = runtime_client.get(URL).json()
    bundle_builder.clear()  # another worker answers, or this one restarted
    _publish_agent("pix-specialist", description="Pix (revisado).")
    whole = runtime_client.get(URL, {"since": held["bundle_version"]}).json()
    assert "delta" not in whole and whole == _reference()


@pytest.mark.parametrize("since", ["-1", "abc", "1.5"])
def test_since__bad_value__400_naming_it(runtime_client, demo, since):
    response = runtime_client.get(URL, {"since": since})
    assert response.status_code == 400
    assert "since" in json.dumps(error_of(response))


def test_parts__a_publish_rebuilds_only_the_changed_documents(runtime_client, demo, django_assert_max_num_queries):
    runtime_client.get(URL)
    _publish_agent("pix-specialist", description="Pix (revisado).")
    before = dict(bundle_builder._parts)
    runtime_client.get(URL)
    rebuilt = {key for key, part in bundle_builder._parts.items() if before.get(key) is not part}
    assert rebuilt == {("staging", "a", "pix-specialist"), ("staging", "t", "customer-service-router")}
    assert timezone.now()  # the clock is not part of any document: rebuilding is by version, not by time
