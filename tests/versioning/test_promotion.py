"""Environments: publishing goes to the first environment, promotion copies the exact version to the next,
review under HIVE_REQUIRE_REVIEW, environment rollback, and "what was live when" from the audit trail."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from hive_portal.testing import key_client, make_api_key
from versioning.components import get_kind
from versioning.models import EnvironmentRelease, PromotionState
from versioning.promotion import (
    component_promote,
    environment_rollback,
    promotion_approve,
    promotion_cancel,
    promotion_reject,
    promotion_request,
)
from versioning.selectors import environment_versions, live_at, live_version
from versioning.services import component_delete, component_publish, component_set_active
from versioning.signals import release_event

AGENT = get_kind("agent")
TEAM = get_kind("team")


def _edit_and_publish(agent_id: str, note: str, **fields):
    agent = Agent.objects.get(agent_id=agent_id)
    agent_update(agent=agent, actor="eddie", note=note, **fields)
    return component_publish(kind=AGENT, component_id=agent_id, actor="paula")


def _promote(agent_id="cards", actor="paula", **kwargs):
    return component_promote(
        kind=AGENT, component_id=agent_id, environment="production", actor=actor, note="ship it", **kwargs
    )


def test_publish__goes_to_the_first_environment_only(make_agent):
    make_agent("cards", publish=True)
    _promote()
    v2 = _edit_and_publish("cards", "tone", description="New tone")
    versions = environment_versions("agent", "cards")
    assert list(versions) == ["staging", "production"]
    assert versions["staging"].version == v2.version == 2
    assert versions["production"].version == 1


def test_promote__copies_exactly_the_staging_version__same_row_same_hash(make_agent):
    make_agent("cards", publish=True)
    staging = live_version("agent", "cards", "staging")
    release = _promote()
    assert release.version.pk == staging.pk
    assert release.version.content_hash == staging.content_hash
    row = AuditRecord.objects.get(action=AuditAction.PROMOTED)
    assert (row.environment, row.to_version, row.from_version, row.reason) == ("production", 1, None, "ship it")


def test_promote__refuses_a_stale_page__an_unknown_environment__the_first_one_and_no_note(make_agent):
    make_agent("cards", publish=True)
    with pytest.raises(ValidationError) as stale:
        _promote(version=7)
    assert "version" in stale.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        component_promote(kind=AGENT, component_id="cards", environment="moon", actor="paula", note="x")
    assert "environment" in unknown.value.message_dict
    with pytest.raises(ValidationError, match="first environment"):
        component_promote(kind=AGENT, component_id="cards", environment="staging", actor="paula", note="x")
    with pytest.raises(ValidationError) as no_note:
        component_promote(kind=AGENT, component_id="cards", environment="production", actor="paula", note=" ")
    assert "note" in no_note.value.message_dict
    assert not EnvironmentRelease.objects.exists()


def test_promote__twice_is_refused_and_a_never_published_component_has_nothing_to_promote(make_agent):
    make_agent("cards", publish=True)
    make_agent("pix")
    _promote()
    with pytest.raises(ValidationError, match="already serves cards v1"):
        _promote()
    with pytest.raises(ValidationError, match="not live in staging"):
        _promote("pix")


def test_promote__a_team_needs_its_members_in_the_environment_first(make_team):
    make_team("router", publish=True)
    with pytest.raises(ValidationError, match="member cards; member pix"):
        component_promote(kind=TEAM, component_id="router", environment="production", actor="paula", note="go")
    _promote("cards")
    _promote("pix")
    component_promote(kind=TEAM, component_id="router", environment="production", actor="paula", note="go")
    assert live_version("team", "router", "production").version == 1


def test_promote__needs_the_publish_permission(make_agent, editor):
    make_agent("cards", publish=True)
    with pytest.raises(PermissionDenied):
        _promote(actor=editor)


def test_promote__under_review__request_approve_by_someone_else_then_promote(
    settings, make_agent, publisher, second_publisher
):
    settings.HIVE_REQUIRE_REVIEW = True
    make_agent("cards")
    agent = Agent.objects.get(agent_id="cards")
    from versioning.services import draft_approve

    draft_approve(kind=AGENT, component_id="cards", actor=second_publisher)
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    del agent

    with pytest.raises(ValidationError, match="needs an approved promotion request"):
        _promote(actor=publisher)
    request = promotion_request(
        kind=AGENT, component_id="cards", environment="production", actor=publisher, note="ready", version=1
    )
    assert request.state == PromotionState.REQUESTED
    with pytest.raises(PermissionDenied, match="requester"):
        promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=publisher)
    with pytest.raises(ValidationError, match="needs an approved"):
        _promote(actor=publisher)
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    _promote(actor=publisher)
    request.refresh_from_db()
    assert request.state == PromotionState.DONE and request.closed_at is not None
    assert live_version("agent", "cards", "production").version == 1


def test_promotion_request__approval_is_for_one_version(settings, make_agent, publisher, second_publisher):
    settings.HIVE_REQUIRE_REVIEW = False
    make_agent("cards", publish=True)
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="v1 please")
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    _edit_and_publish("cards", "newer", description="Newer")  # staging moves to v2 after the approval
    settings.HIVE_REQUIRE_REVIEW = True
    with pytest.raises(ValidationError, match="approved request is for v1, but v2"):
        _promote(actor=publisher)


def test_promotion_request__reject_needs_a_reason__cancel_closes(make_agent, publisher, second_publisher):
    make_agent("cards", publish=True)
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="please")
    with pytest.raises(ValidationError) as no_reason:
        promotion_reject(kind=AGENT, component_id="cards", environment="production", actor=second_publisher, reason="")
    assert "reason" in no_reason.value.message_dict
    rejected = promotion_reject(
        kind=AGENT, component_id="cards", environment="production", actor=second_publisher, reason="not yet"
    )
    assert rejected.state == PromotionState.REJECTED
    again = promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="now?")
    cancelled = promotion_cancel(kind=AGENT, component_id="cards", environment="production", actor=publisher)
    assert cancelled.pk == again.pk and cancelled.state == PromotionState.CANCELLED
    with pytest.raises(ValidationError, match="no open promotion request"):
        promotion_cancel(kind=AGENT, component_id="cards", environment="production", actor=publisher)


def test_environment_rollback__only_to_a_version_that_was_live_there(make_agent):
    make_agent("cards", publish=True)
    _promote()
    _edit_and_publish("cards", "v2", description="Second")
    _promote()
    _edit_and_publish("cards", "v3", description="Third")  # v3 never reached production
    with pytest.raises(ValidationError) as never:
        environment_rollback(
            kind=AGENT, component_id="cards", environment="production", to_version=3, actor="paula", note="back"
        )
    assert "to_version" in never.value.message_dict
    environment_rollback(
        kind=AGENT, component_id="cards", environment="production", to_version=1, actor="paula", note="v2 broke"
    )
    assert live_version("agent", "cards", "production").version == 1
    assert live_version("agent", "cards", "staging").version == 3
    row = AuditRecord.objects.filter(action=AuditAction.ROLLED_BACK).get()
    assert (row.environment, row.from_version, row.to_version) == ("production", 2, 1)


def test_delete__removes_the_component_from_every_environment(make_agent):
    make_agent("cards", publish=True)
    _promote()
    component_delete(kind=AGENT, component_id="cards", actor="paula", reason="gone")
    assert not EnvironmentRelease.objects.exists()


def test_release_events__published_and_promoted_are_sent_with_the_environment(make_agent):
    seen = []

    def receiver(sender, event, payload, **kwargs):
        seen.append((event, payload["environment"], payload["version"], payload["previous_version"]))

    release_event.connect(receiver)
    try:
        make_agent("cards", publish=True)
        _promote()
    finally:
        release_event.disconnect(receiver)
    assert seen == [("component.published", "staging", 1, None), ("component.promoted", "production", 1, None)]


# --- The runtime API serves the key's environment ------------------------------------------------------


def _client(environment):
    _, raw = make_api_key(
        name=f"{environment}-runtime", scopes=("config:read", "typification:read"), environment=environment
    )
    return key_client(raw)


def test_runtime_api__each_key_gets_its_environment(make_agent):
    make_agent("cards", publish=True)
    staging, production = _client("staging"), _client("production")
    url = reverse("api:v1:agent-config", args=["cards"])
    assert production.get(url).status_code == 404  # not promoted yet
    _promote()
    _edit_and_publish("cards", "v2", description="Second")
    assert staging.get(url).json()["metadata"]["hive"]["version"] == 2
    response = production.get(url)
    assert response.json()["metadata"]["hive"]["version"] == 1
    assert response["X-Hive-Environment"] == "production"
    bundle = production.get(reverse("api:v1:bundle")).json()
    assert bundle["environment"] == "production"
    assert bundle["agents"]["cards"]["metadata"]["hive"]["version"] == 1
    _promote()
    assert production.get(url).json()["metadata"]["hive"]["version"] == 2  # seen on the next request
    # An older version is still fetchable, marked as not live in this environment.
    old = production.get(url + "?version=1").json()
    assert old["metadata"]["hive"]["live"] is False


def test_runtime_api__a_team_in_production_carries_production_members(make_team):
    make_team("router", publish=True)
    for agent_id in ("cards", "pix"):
        _promote(agent_id)
    component_promote(kind=TEAM, component_id="router", environment="production", actor="paula", note="go")
    _edit_and_publish("cards", "v2", description="Second")
    document = _client("production").get(reverse("api:v1:team-config", args=["router"])).json()
    assert document["metadata"]["hive"]["members"] == {"cards": 1, "pix": 1}


def test_api_key__unknown_environment_is_refused_naming_the_field(db):
    with pytest.raises(ValidationError) as error:
        make_api_key(name="moon-runtime", environment="moon")
    assert "environment" in error.value.message_dict


# --- What was live when ------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_live_at__answers_from_the_audit_trail(make_agent):
    make_agent("cards", publish=True)
    make_agent("pix", publish=True)
    _promote()
    _promote("pix")
    after_first = timezone.now()
    _edit_and_publish("cards", "v2", description="Second")
    _promote()
    component_set_active(kind=AGENT, component_id="pix", active=False, actor="paula", reason="paused")

    earlier = {row.component_id: row for row in live_at("production", after_first)}
    assert {k: v.version for k, v in earlier.items()} == {"cards": 1, "pix": 1}
    assert all(row.active for row in earlier.values())
    now = {row.component_id: row for row in live_at("production", timezone.now())}
    assert (
        now["cards"].version == 2
        and now["cards"].content_hash == live_version("agent", "cards", "staging").content_hash
    )
    assert now["pix"].active is False
    assert live_at("production", after_first - timedelta(days=1)) == []
    assert {row.component_id: row.version for row in live_at("staging", timezone.now())} == {"cards": 2, "pix": 1}


def test_promote_without_review__closes_an_unreviewed_request_for_the_same_version(make_agent):
    from versioning.models import PromotionRequest

    make_agent("cards", publish=True)
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor="rita", note="Please")
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="ops", note="Direct")
    assert live_version("agent", "cards", "production").version == 1
    request = PromotionRequest.objects.get()
    assert request.state == PromotionState.CANCELLED and request.closed_at is not None
