"""The versioning workflow through its services: drafts, publish, rollback, review, activation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from versioning.components import get_kind
from versioning.models import ComponentVersion, ReviewState
from versioning.selectors import component_status
from versioning.services import (
    ConcurrentEditError,
    component_publish,
    component_rollback,
    component_set_active,
    draft_approve,
    draft_reject,
    draft_submit,
)

pytestmark = pytest.mark.django_db
AGENT = get_kind("agent")


def _edit(agent, actor="eddie", **fields):
    return agent_update(agent=agent, actor=actor, note="edit", expected_revision=agent.revision, **fields)


def test_create__makes_a_draft_and_nothing_published(make_agent):
    agent = make_agent("cards")
    status = component_status("agent", "cards")
    assert status.published is None
    assert status.draft.version == 1
    assert status.draft.config["instructions"] == ["Be concise.", "Never ask for the card's CVV."]
    assert agent.version == ""


def test_publish__snapshots_the_draft_and_labels_the_agent(make_agent):
    make_agent("cards")
    version = component_publish(kind=AGENT, component_id="cards", actor="paula")
    assert version.status == "published" and version.version == 1
    assert Agent.objects.get(agent_id="cards").version == "v1"
    assert component_status("agent", "cards").draft is None


def test_edit_after_publish__changes_the_draft_not_the_published_version(make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, instructions=["Be very concise."])
    status = component_status("agent", "cards")
    assert status.published.config["instructions"] == ["Be concise.", "Never ask for the card's CVV."]
    assert status.draft.config["instructions"] == ["Be very concise."]
    assert status.draft.version == 2 and status.draft.base_version == 1


def test_publish__archives_the_previous_version_atomically(make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, name="Cards v2")
    component_publish(kind=AGENT, component_id="cards", actor="paula")
    statuses = dict(ComponentVersion.objects.filter(component_id="cards").values_list("version", "status"))
    assert statuses == {1: "archived", 2: "published"}
    actions = list(AuditRecord.objects.filter(subject_id="cards").order_by("id").values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.ARCHIVED, AuditAction.PUBLISHED]


def test_publish__identical_draft__is_refused(make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, name="Changed")
    agent.refresh_from_db()
    _edit(agent, name="Cards specialist")  # back to what is live
    with pytest.raises(ValidationError, match="identical"):
        component_publish(kind=AGENT, component_id="cards", actor="paula")


def test_publish__without_draft__is_refused(make_agent):
    make_agent("cards", publish=True)
    with pytest.raises(ValidationError, match="no draft"):
        component_publish(kind=AGENT, component_id="cards", actor="paula")


def test_publish__by_a_prompt_editor__is_denied(make_agent, editor):
    make_agent("cards")
    with pytest.raises(PermissionDenied):
        component_publish(kind=AGENT, component_id="cards", actor=editor)


def test_rollback__creates_a_new_version_with_the_old_configuration(make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, instructions=["New instruction"])
    component_publish(kind=AGENT, component_id="cards", actor="paula")
    new = component_rollback(
        kind=AGENT, component_id="cards", to_version=1, actor="paula", note="v2 confused customers"
    )
    assert new.version == 3 and new.rolled_back_from == 1
    v1 = ComponentVersion.objects.get(component_id="cards", version=1)
    assert new.config == v1.config and new.content_hash == v1.content_hash
    agent.refresh_from_db()
    assert agent.instructions == ["Be concise.", "Never ask for the card's CVV."]  # working copy reset too
    assert agent.version == "v3"
    assert set(ComponentVersion.objects.filter(component_id="cards").values_list("version", "status")) == {
        (1, "archived"), (2, "archived"), (3, "published"),
    }  # fmt: skip
    row = AuditRecord.objects.filter(subject_id="cards", action=AuditAction.ROLLED_BACK).get()
    assert (row.from_version, row.to_version, row.reason) == (2, 3, "v2 confused customers")


def test_rollback__archives_an_open_draft(make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, name="Second")
    component_publish(kind=AGENT, component_id="cards", actor="paula")
    agent.refresh_from_db()
    _edit(agent, name="Work in progress")
    component_rollback(kind=AGENT, component_id="cards", to_version=1, actor="paula", note="revert")
    assert component_status("agent", "cards").draft is None
    assert ComponentVersion.objects.get(component_id="cards", version=3).status == "archived"


def test_rollback__requires_a_note_and_a_real_version(make_agent):
    make_agent("cards", publish=True)
    with pytest.raises(ValidationError):
        component_rollback(kind=AGENT, component_id="cards", to_version=1, actor="paula", note="")
    with pytest.raises(ValidationError, match="no version 9"):
        component_rollback(kind=AGENT, component_id="cards", to_version=9, actor="paula", note="x")
    with pytest.raises(ValidationError, match="already live"):
        component_rollback(kind=AGENT, component_id="cards", to_version=1, actor="paula", note="x")


def test_save__with_an_old_revision__is_refused_and_says_what_changed(make_agent):
    agent = make_agent("cards")
    opened_by_a = Agent.objects.get(pk=agent.pk)
    opened_by_b = Agent.objects.get(pk=agent.pk)
    from agents.selectors import agent_config

    base = agent_config(opened_by_b)
    agent_update(
        agent=opened_by_a, actor="alice", note="a", expected_revision=opened_by_a.revision, name="Alice's name"
    )
    with pytest.raises(ConcurrentEditError) as caught:
        agent_update(
            agent=opened_by_b,
            actor="bob",
            note="b",
            expected_revision=opened_by_b.revision,
            base_snapshot=base,
            description="Bob's description",
        )
    assert caught.value.changes["changed"]["name"] == {"from": "Cards specialist", "to": "Alice's name"}
    assert caught.value.saved_by == "alice"
    assert Agent.objects.get(pk=agent.pk).description == "Cards unit specialist"  # Bob's save did not land


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"model_settings": {"temperature": 7}}, "model_settings"),
        ({"instructions": "not a list"}, "instructions"),
        ({"tools": [{"description": "no name"}]}, "tools"),
        ({"parameters": {"num_history_runs": 3, "num_history_messages": 5}}, "parameters"),
        ({"parameters": {"instructions": ["hidden"]}}, "parameters"),
        ({"model_provider": "not-a-provider"}, "model_provider"),
        ({"agent_id": "Bad ID!"}, "agent_id"),
    ],
)
def test_update__invalid_configuration__names_the_field(make_agent, fields, field):
    agent = make_agent("cards")
    with pytest.raises(ValidationError) as caught:
        agent_update(agent=agent, actor="x", note="bad", **fields)
    assert field in caught.value.message_dict


def test_review__editing_an_approved_draft_clears_the_approval(make_agent, editor, publisher):
    agent = make_agent("cards", actor=editor)
    draft_submit(kind=AGENT, component_id="cards", actor=editor)
    approved = draft_approve(kind=AGENT, component_id="cards", actor=publisher)
    assert approved.review_state == ReviewState.APPROVED
    agent.refresh_from_db()
    _edit(agent, actor=editor, name="Changed after approval")
    assert component_status("agent", "cards").draft.review_state == ReviewState.NONE


def test_review__the_author_cannot_approve_their_own_draft(make_agent, publisher):
    make_agent("cards", actor=publisher)
    with pytest.raises(PermissionDenied):
        draft_approve(kind=AGENT, component_id="cards", actor=publisher)


def test_review__a_co_author_who_edited_in_between_cannot_approve(make_agent, editor, other_editor, publisher):
    agent = make_agent("cards", actor=editor)
    _edit(agent, actor=publisher, name="Edited by the publisher")
    agent.refresh_from_db()
    _edit(agent, actor=other_editor, name="Edited again by another editor")
    draft = component_status("agent", "cards").draft
    assert draft.created_by == editor and draft.edited_by == other_editor  # the publisher is neither
    with pytest.raises(PermissionDenied, match="edited"):
        draft_approve(kind=AGENT, component_id="cards", actor=publisher)
    with pytest.raises(PermissionDenied):
        draft_reject(kind=AGENT, component_id="cards", actor=publisher, reason="Looks wrong")
    assert component_status("agent", "cards").draft.review_state == ReviewState.NONE


def test_review__an_edit_of_an_earlier_draft_does_not_count(
    make_agent, editor, other_editor, publisher, second_publisher
):
    agent = make_agent("cards", actor=editor)
    _edit(agent, actor=publisher, name="Publisher's edit in v1")
    component_publish(kind=AGENT, component_id="cards", actor=second_publisher)
    agent.refresh_from_db()
    _edit(agent, actor=other_editor, name="A new draft by another editor")
    assert draft_approve(kind=AGENT, component_id="cards", actor=publisher).review_state == ReviewState.APPROVED


def test_review__reject_needs_a_reason(make_agent, editor, publisher):
    make_agent("cards", actor=editor)
    with pytest.raises(ValidationError):
        draft_reject(kind=AGENT, component_id="cards", actor=publisher, reason=" ")
    draft = draft_reject(kind=AGENT, component_id="cards", actor=publisher, reason="Tone is too formal")
    assert draft.review_state == ReviewState.REJECTED and draft.review_comment == "Tone is too formal"


def test_review__required__publish_waits_for_approval(settings, make_agent, editor, publisher, second_publisher):
    settings.HIVE_REQUIRE_REVIEW = True
    make_agent("cards", actor=editor)
    with pytest.raises(ValidationError, match="approval"):
        component_publish(kind=AGENT, component_id="cards", actor=publisher)
    draft_approve(kind=AGENT, component_id="cards", actor=second_publisher)
    assert component_publish(kind=AGENT, component_id="cards", actor=publisher).status == "published"


def test_deactivate__agent_in_an_active_team__is_refused(make_team):
    make_team("router")
    with pytest.raises(ValidationError, match="active team"):
        component_set_active(kind=AGENT, component_id="cards", active=False, actor="paula")


def test_deactivate_and_activate__are_recorded(make_agent):
    make_agent("solo", publish=True)
    component_set_active(kind=AGENT, component_id="solo", active=False, actor="paula", reason="pause")
    component_set_active(kind=AGENT, component_id="solo", active=True, actor="paula")
    actions = list(AuditRecord.objects.filter(subject_id="solo").order_by("id").values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.DEACTIVATED, AuditAction.ACTIVATED]


def test_every_change__names_its_actor(make_agent, editor):
    agent = make_agent("cards", actor=editor)
    _edit(agent, actor=editor, name="x")
    assert set(AuditRecord.objects.filter(subject_id="cards").values_list("actor_name", flat=True)) == {editor.username}


def test_discard__archives_the_draft_and_restores_the_live_configuration(make_agent, editor):
    from versioning.services import draft_discard

    agent = make_agent("cards", publish=True)
    _edit(agent, actor=editor, name="Experiment")
    draft_discard(kind=AGENT, component_id="cards", actor=editor, reason="Not needed")
    agent.refresh_from_db()
    assert agent.name == "Cards specialist"
    assert component_status("agent", "cards").draft is None
    assert ComponentVersion.objects.get(component_id="cards", version=2).status == "archived"


def test_discard__never_published__is_refused(make_agent):
    from versioning.services import draft_discard

    make_agent("fresh")
    with pytest.raises(ValidationError, match="never published"):
        draft_discard(kind=AGENT, component_id="fresh", actor="x")


def test_discard__viewer_is_denied(make_agent, viewer):
    from versioning.services import draft_discard

    agent = make_agent("cards", publish=True)
    _edit(agent, name="x")
    with pytest.raises(PermissionDenied):
        draft_discard(kind=AGENT, component_id="cards", actor=viewer)


# --- What versioning announces (notifications and webhooks subscribe) -----------------------------------


@pytest.fixture
def announced():
    """Every review and release event sent while the test runs: (event, payload, the other keyword arguments)."""
    from versioning.signals import release_event, review_event

    seen: list[tuple[str, dict, dict]] = []

    def receiver(sender, event, payload, signal=None, **kwargs):
        seen.append((event, payload, kwargs))

    review_event.connect(receiver, dispatch_uid="test-announced-review")
    release_event.connect(receiver, dispatch_uid="test-announced-release")
    yield seen
    review_event.disconnect(dispatch_uid="test-announced-review")
    release_event.disconnect(dispatch_uid="test-announced-release")


def test_review_steps__announced_with_the_version_and_the_acting_user(make_agent, editor, publisher, announced):
    make_agent("cards", actor=editor)
    draft_submit(kind=AGENT, component_id="cards", actor=editor, note="please look")
    draft_submit(kind=AGENT, component_id="cards", actor=editor)  # already waiting: nothing new to say
    draft_reject(kind=AGENT, component_id="cards", actor=publisher, reason="Too formal")
    draft_approve(kind=AGENT, component_id="cards", actor=publisher, note="Fine now")

    assert [(e, p["component_id"], p["version"], p["actor"], p["reason"], k) for e, p, k in announced] == [
        ("draft.submitted", "cards", 1, "eddie-editor", "please look", {"actor_id": editor.pk}),
        ("draft.rejected", "cards", 1, "paula-publisher", "Too formal", {"actor_id": publisher.pk}),
        ("draft.approved", "cards", 1, "paula-publisher", "Fine now", {"actor_id": publisher.pk}),
    ]


def test_rollback__announces_the_draft_it_discarded(make_agent, publisher, announced):
    agent = make_agent("cards", publish=True)
    _edit(agent, name="Second")
    announced.clear()
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    agent.refresh_from_db()
    _edit(agent, name="Work in progress")  # v3, an open draft
    component_rollback(kind=AGENT, component_id="cards", to_version=1, actor=publisher, note="revert")

    published, rolled_back = [(e, p["version"], p["previous_version"], k) for e, p, k in announced]
    assert published == ("component.published", 2, 1, {"actor_id": publisher.pk, "discarded_version": None})
    assert rolled_back == ("component.rolled_back", 4, 2, {"actor_id": publisher.pk, "discarded_version": 3})
