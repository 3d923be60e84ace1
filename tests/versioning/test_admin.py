"""Publishing, reviewing and rolling back through the admin pages."""

import re

import pytest
from django.urls import reverse

from agents.services import agent_update
from audit.models import AuditRecord
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db


def url(name, agent, *args):
    return reverse(f"admin:agents_agent_{name}", args=[agent.pk, *args])


def _edit(agent, **fields):
    agent.refresh_from_db()
    return agent_update(agent=agent, actor="eddie", note="Clarify the refund deadline", **fields)


def test_publish_page__shows_a_word_level_diff_and_publishes(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    _edit(
        agent,
        instructions=["Be concise and friendly.", "Never ask for the card's CVV."],
        model_settings={"temperature": 0.5},
    )
    client.force_login(publisher)
    page = client.get(url("publish", agent))
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r"<ins>[^<]*and friendly\.[^<]*</ins>", html), html
    assert "instructions[1]" in html and "model.params.temperature" in html
    response = client.post(url("publish", agent), {"note": "Friendlier tone"})
    assert response.status_code == 302
    status = component_status("agent", "cards")
    assert status.published.version == 2 and status.draft is None
    row = AuditRecord.objects.filter(subject_id="cards", action="published").latest("id")
    assert (row.actor_name, row.reason, row.from_version, row.to_version) == (
        publisher.username,
        "Friendlier tone",
        1,
        2,
    )


def test_publish_page__editor_sees_the_changes_but_cannot_publish(client, editor, make_agent):
    agent = make_agent("cards")
    client.force_login(editor)
    page = client.get(url("publish", agent))  # the panel's "See changes" link
    assert page.status_code == 200
    html = page.content.decode()
    assert "publish-button" not in html and 'value="approve"' not in html
    assert client.post(url("publish", agent), {"note": "x"}).status_code == 403
    assert component_status("agent", "cards").published is None


def test_review__submit_then_reject_with_reason_then_approve(client, editor, publisher, second_publisher, make_agent):
    agent = make_agent("cards", actor=editor)
    client.force_login(editor)
    client.post(url("review", agent), {"action": "submit"})
    assert component_status("agent", "cards").draft.review_state == "submitted"
    client.force_login(publisher)
    client.post(url("review", agent), {"action": "reject", "note": ""})
    assert component_status("agent", "cards").draft.review_state == "submitted"  # a reason is required
    client.post(url("review", agent), {"action": "reject", "note": "Too long"})
    assert component_status("agent", "cards").draft.review_comment == "Too long"
    client.post(url("review", agent), {"action": "approve"})
    assert component_status("agent", "cards").draft.review_state == "approved"


@pytest.mark.parametrize(
    "target", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)", "\\\\evil.example"]
)
def test_review__next_to_another_site__ignored(client, editor, make_agent, target):
    agent = make_agent("cards", actor=editor)
    client.force_login(editor)
    response = client.post(url("review", agent), {"action": "submit", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:agents_agent_change", args=[agent.pk])


def test_review__relative_next__followed(client, editor, make_agent):
    agent = make_agent("cards", actor=editor)
    client.force_login(editor)
    response = client.post(url("review", agent), {"action": "submit", "next": "/admin/agents/agent/"})
    assert response["Location"] == "/admin/agents/agent/"


def test_rollback_page__rolls_back_with_a_note(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, name="Second name")
    from versioning.components import get_kind
    from versioning.services import component_publish

    component_publish(kind=get_kind("agent"), component_id="cards", actor="paula")
    client.force_login(publisher)
    timeline = client.get(url("versions", agent)).content.decode()
    assert "roll back to this" in timeline and "Clarify the refund deadline" in timeline
    page = client.get(url("rollback", agent, 1))
    assert page.status_code == 200 and "Second name" in page.content.decode()
    assert client.post(url("rollback", agent, 1), {"note": ""}).status_code == 200  # note required
    response = client.post(url("rollback", agent, 1), {"note": "Name confused people"})
    assert response.status_code == 302
    status = component_status("agent", "cards")
    assert status.published.version == 3 and status.published.config["name"] == "Cards specialist"


def test_compare_page__any_two_versions(client, viewer, make_agent):
    agent = make_agent("cards", publish=True)
    _edit(agent, system_prompt="Você é o especialista em cartões do PagBank.")
    client.force_login(viewer)
    html = client.get(url("compare", agent) + "?a=1&b=2").content.decode()
    assert "system_message" in html and "<ins>" in html and "PagBank" in html
