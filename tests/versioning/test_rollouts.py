"""Percentage rollouts: start, sticky split, the runtime's variant, complete, abort — and the refusals."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from common.rollout import bucket, picks_candidate
from hive_portal.testing import key_client, make_api_key
from versioning.components import get_kind
from versioning.models import RolloutState
from versioning.promotion import component_promote
from versioning.rollouts import rollout_abort, rollout_complete, rollout_start
from versioning.selectors import live_version
from versioning.services import component_publish
from versioning.signals import release_event

AGENT = get_kind("agent")


@pytest.fixture
def staged(make_agent):
    """cards v1 in production, v2 in staging."""
    make_agent("cards", publish=True)
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="paula", note="v1")
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="v2", description="Second")
    component_publish(kind=AGENT, component_id="cards", actor="paula")


def _start(percent=10, actor="paula", **kwargs):
    return rollout_start(
        kind=AGENT, component_id="cards", environment="production", percent=percent, actor=actor,
        note="try v2", **kwargs,
    )  # fmt: skip


def test_split__sticky_and_within_two_points_of_the_share_over_10000_sessions():
    salt = "a1b2c3d4e5f60708"
    sessions = [str(uuid.UUID(int=i)) for i in range(10_000)]
    for percent in (1, 10, 50, 90):
        share = sum(picks_candidate(salt, s, percent) for s in sessions) / len(sessions) * 100
        assert abs(share - percent) <= 2, (percent, share)
    assert all(picks_candidate(salt, s, 10) == picks_candidate(salt, s, 10) for s in sessions[:500])
    # Growing the share keeps everyone who already had the candidate.
    assert all(picks_candidate(salt, s, 50) for s in sessions if picks_candidate(salt, s, 10))
    assert 0 <= bucket(salt, "x") < 10_000 and bucket(salt, "x") != bucket("other-salt", "x")


def test_start__records_the_baseline_and_candidate__audited_and_announced(staged):
    seen = []
    release_event.connect(receiver := lambda sender, event, payload, **kw: seen.append((event, payload)))
    try:
        rollout = _start(max_success_drop_points=5, min_runs=20)
    finally:
        release_event.disconnect(receiver)
    assert (rollout.baseline.version, rollout.candidate.version, rollout.percent) == (1, 2, 10)
    assert rollout.state == RolloutState.RUNNING and len(rollout.salt) == 16
    row = AuditRecord.objects.get(action=AuditAction.ROLLOUT_STARTED)
    assert (row.environment, row.from_version, row.to_version) == ("production", 1, 2)
    assert seen[0][0] == "rollout.started" and seen[0][1]["rollout"]["percent"] == 10
    assert live_version("agent", "cards", "production").version == 1  # the environment's own version is unchanged


@pytest.mark.parametrize("percent", [0, 100, 150, -5, True, "10"])
def test_start__percent_outside_1_to_99_is_refused_naming_the_field(staged, percent):
    with pytest.raises(ValidationError) as error:
        _start(percent=percent)
    assert "percent" in error.value.message_dict


def test_start__refusals(staged, make_agent, editor):
    with pytest.raises(ValidationError) as bad:
        _start(max_p95_increase_percent=-1)
    assert "max_p95_increase_percent" in bad.value.message_dict
    with pytest.raises(PermissionDenied):
        _start(actor=editor)
    with pytest.raises(ValidationError, match="first environment"):
        rollout_start(kind=AGENT, component_id="cards", environment="staging", percent=10, actor="paula", note="x")
    make_agent("pix", publish=True)
    with pytest.raises(ValidationError, match="serves no version of pix"):
        rollout_start(kind=AGENT, component_id="pix", environment="production", percent=10, actor="paula", note="x")
    _start()
    with pytest.raises(ValidationError, match="already has a rollout running"):
        _start()
    with pytest.raises(ValidationError, match="rollout running in production"):
        component_promote(kind=AGENT, component_id="cards", environment="production", actor="paula", note="x")


def test_start__under_review_needs_an_approved_request(settings, staged, publisher, second_publisher):
    from versioning.promotion import promotion_approve, promotion_request

    settings.HIVE_REQUIRE_REVIEW = True
    with pytest.raises(ValidationError, match="needs an approved promotion request"):
        _start()
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="v2 at 10%")
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    assert _start(actor=publisher).candidate.version == 2


def test_complete__promotes_the_candidate__abort_leaves_the_baseline(staged):
    rollout = _start()
    done = rollout_complete(kind=AGENT, rollout_id=rollout.pk, actor="paula")
    assert done.state == RolloutState.COMPLETED and done.ended_at is not None
    assert live_version("agent", "cards", "production").version == 2
    with pytest.raises(ValidationError, match="already completed"):
        rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor="paula", reason="late")


def test_abort__needs_a_reason_and_keeps_the_baseline(staged):
    rollout = _start()
    with pytest.raises(ValidationError) as error:
        rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor="paula", reason=" ")
    assert "reason" in error.value.message_dict
    rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor="paula", reason="complaints")
    assert live_version("agent", "cards", "production").version == 1
    assert AuditRecord.objects.filter(action=AuditAction.ROLLOUT_ABORTED, reason="complaints").exists()


# --- The runtime ----------------------------------------------------------------------------------------


def _production_client():
    _, raw = make_api_key(name="prod", scopes=("config:read",), environment="production")
    return key_client(raw)


def test_runtime__sessions_get_their_variant__the_server_agrees_with_the_bundle(staged):
    client = _production_client()
    url = reverse("api:v1:agent-config", args=["cards"])
    rollout = _start(percent=30)
    bundle = client.get(reverse("api:v1:bundle")).json()
    entry = bundle["rollouts"]["agents"]["cards"]
    assert (entry["percent"], entry["baseline_version"], entry["candidate_version"]) == (30, 1, 2)
    assert entry["candidate"]["metadata"]["hive"]["version"] == 2
    assert bundle["agents"]["cards"]["metadata"]["hive"]["version"] == 1

    sessions = [f"session-{i}" for i in range(40)]
    for session in sessions:
        response = client.get(url, {"session_id": session})
        expected = 2 if picks_candidate(entry["salt"], session, 30) else 1
        assert response.json()["metadata"]["hive"]["version"] == expected, session
        assert (response.get("X-Hive-Variant") == "candidate") == (expected == 2)
        # Asked again (warm, from the cache): the same answer.
        assert client.get(url, {"session_id": session}).json()["metadata"]["hive"]["version"] == expected
    assert client.get(url).json()["metadata"]["hive"]["version"] == 1  # no session: the environment's version

    rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor="paula", reason="stop")
    assert {client.get(url, {"session_id": s}).json()["metadata"]["hive"]["version"] for s in sessions} == {1}
    assert client.get(reverse("api:v1:bundle")).json()["rollouts"] == {"agents": {}, "teams": {}}


def test_runtime__a_team_rollout_serves_the_candidate_team(make_team):
    make_team("router", publish=True)
    team_kind = get_kind("team")
    for agent_id in ("cards", "pix"):
        component_promote(kind=AGENT, component_id=agent_id, environment="production", actor="paula", note="go")
    component_promote(kind=team_kind, component_id="router", environment="production", actor="paula", note="go")
    from teams.models import Team
    from teams.services import team_update

    team_update(team=Team.objects.get(team_id="router"), actor="eddie", note="v2", instructions=["Route well."])
    component_publish(kind=team_kind, component_id="router", actor="paula")
    rollout_start(kind=team_kind, component_id="router", environment="production", percent=99, actor="paula", note="x")
    client = _production_client()
    url = reverse("api:v1:team-config", args=["router"])
    picked = client.get(url, {"user_id": "u-1"}).json()["metadata"]["hive"]
    salt = client.get(reverse("api:v1:bundle")).json()["rollouts"]["teams"]["router"]["salt"]
    assert picked["version"] == (2 if picks_candidate(salt, "u-1", 99) else 1)


def test_start__without_review_past_an_unreviewed_request__the_request_is_cancelled(staged):
    from versioning.models import PromotionRequest, PromotionState
    from versioning.promotion import promotion_request

    promotion_request(kind=AGENT, component_id="cards", environment="production", actor="rita", note="Please")
    _start()
    assert PromotionRequest.objects.get().state == PromotionState.CANCELLED


def test_live_at__says_which_rollout_was_running_then(staged):
    from django.utils import timezone

    from versioning.selectors import live_at

    before = timezone.now()
    rollout = _start(percent=10)
    during = timezone.now()
    rollout_complete(kind=AGENT, rollout_id=rollout.pk, actor="paula")
    after = timezone.now()

    def cards(at):
        return next(row for row in live_at("production", at) if row.component_id == "cards")

    assert (cards(before).version, cards(before).rollout_version) == (1, None)
    assert (cards(during).version, cards(during).rollout_version, cards(during).rollout_percent) == (1, 2, 10)
    assert (cards(after).version, cards(after).rollout_version) == (2, None)
    assert all(row.rollout_version is None for row in live_at("staging", during))
