"""Issue 17's "done when", in a real browser: a publisher who reads only Portuguese logs in (browser in pt-BR), sees
on the first page the draft that waits for them, meets a refusal in Portuguese, reviews and publishes it with the
keyboard alone, and the editor gets an e-mail, in their language, that it happened."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from agents.services import agent_update
from notifications.services import notification_preference_set
from tests.browser.helpers import make_person, run_queued_jobs, tab_to
from versioning.components import get_kind
from versioning.services import draft_submit

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

AGENT = get_kind("agent")


def portuguese(message: str, **params) -> str:
    """``message`` as the pt-BR catalogue says it (and not the English: a missing translation fails here)."""
    with translation.override("pt-br"):
        text = translation.gettext(message)
    assert text != message, f"no Portuguese for {message!r}"
    return text % params if params else text


def test_a_portuguese_reader_reviews_and_publishes_by_keyboard__the_editor_is_told(
    live_server, page_as, make_agent, django_user_model, settings, mailoutbox
):
    make_agent("cards", publish=True)
    settings.HIVE_REQUIRE_REVIEW = True  # the four-eyes step first, then publishing
    eddie = make_person(django_user_model, "eddie", "Prompt editor")
    eddie.email = "eddie@example.com"
    eddie.save(update_fields=["email"])
    notification_preference_set(user=eddie, email_enabled=True, language="pt-br")
    agent = AGENT.model.objects.get(agent_id="cards")
    agent_update(agent=agent, actor=eddie, note="Tom mais cordial", instructions=["Seja cordial."])
    draft_submit(kind=AGENT, component_id="cards", actor=eddie)
    run_queued_jobs()
    mailoutbox.clear()

    page = page_as("Publisher", "paula", locale="pt-BR")
    expect(page.locator("html")).to_have_attribute("lang", "pt-br")
    review = page.locator("#overview-review")
    expect(review.locator("h2")).to_have_text(portuguese("Waiting for your review"))
    expect(review).to_contain_text("cards v2")

    tab_to(page, "#overview-review a")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/admin/agents/agent/{agent.pk}/publish/")

    # Rejecting without saying what must change: the service's refusal, in Portuguese.
    tab_to(page, "button[value=reject]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist")).to_contain_text(
        portuguese("Say what must change: a reason is required to reject.")
    )
    assert _draft_state() == "submitted"

    tab_to(page, "#review-note")
    page.keyboard.type("Tom aprovado")
    tab_to(page, "button[value=approve]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _draft_state() == "approved"

    tab_to(page, "#publish-note")
    page.keyboard.type("Tom mais cordial, aprovado")
    tab_to(page, "#publish-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/agents/agent/{agent.pk}/change/")
    published = portuguese(
        "Published %(component)s %(version)s. The runtime serves it now.", component="cards", version="v2"
    )
    # The message starts a sentence: the page capitalizes the component's name there.
    expect(page.locator("ul.messagelist")).to_contain_text(re.compile(re.escape(published), re.IGNORECASE))

    from versioning.selectors import component_status

    assert component_status("agent", "cards").published.version == 2
    run_queued_jobs()
    subjects = sorted(message.subject for message in mailoutbox if "eddie@example.com" in message.to[0])
    approved = portuguese(
        "Approved: %(component_type)s %(component_id)s v%(version)s",
        component_type="agente",
        component_id="cards",
        version=2,
    )
    published = portuguese(
        "Published: %(component_type)s %(component_id)s v%(version)s in %(environment)s",
        component_type="agente",
        component_id="cards",
        version=2,
        environment=settings.HIVE_ENVIRONMENTS[0],
    )
    assert subjects == sorted([f"[Hive Portal] {approved}", f"[Hive Portal] {published}"])  # once each
    body = next(message.body for message in mailoutbox if published in message.subject)
    assert "Olá" in body and "Tom mais cordial, aprovado" in body


def _draft_state() -> str:
    from versioning.selectors import component_status

    return component_status("agent", "cards").draft.review_state
