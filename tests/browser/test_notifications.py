"""Notification settings in a real browser: a prompt editor finds them in the user menu and turns e-mails off."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_message

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only]


def test_user_menu__editor_turns_emails_off(transactional_db, live_server, page_as, django_user_model):
    from notifications.selectors import email_enabled

    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}/admin/")
    page.locator("#user-tools").get_by_role("link", name="Notification settings").click()

    box = page.get_by_label("E-mail me about drafts and releases")
    expect(box).to_be_checked()
    expect(page.locator("#content-main")).to_contain_text("has no e-mail address")
    box.uncheck()
    page.get_by_role("button", name="Save").click()

    assert_message(page, "Your notification settings were saved.")
    expect(page.get_by_label("E-mail me about drafts and releases")).not_to_be_checked()
    editor = django_user_model.objects.get(username="prompt-editor")
    assert email_enabled(editor) is False
