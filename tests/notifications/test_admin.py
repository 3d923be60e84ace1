"""The notification settings page: every staff user reaches it from the user menu and changes their own choice."""

import re

import pytest

from hive_portal.testing import html_form_problems
from notifications.models import NotificationPreference
from notifications.selectors import email_enabled

pytestmark = pytest.mark.django_db
PAGE = "/admin/notifications/notificationpreference/mine/"


def _ticked(html: str) -> bool:
    [box] = re.findall(r'<input[^>]*name="email_enabled"[^>]*>', html)
    return " checked" in box


@pytest.mark.parametrize("role", ["viewer", "editor", "publisher", "portal_admin"])
def test_every_role__finds_the_page_in_the_user_menu_and_turns_emails_off(client, request, with_email, role):
    user = request.getfixturevalue(role)
    with_email(user)
    client.force_login(user)

    assert f'href="{PAGE}"' in client.get("/admin/").content.decode()
    page = client.get(PAGE)
    assert page.status_code == 200 and html_form_problems(page.content.decode()) == []
    assert _ticked(page.content.decode())  # on by default
    assert f"{user.username}@example.com" in page.content.decode()

    response = client.post(PAGE, {})  # the box unticked
    assert response.status_code == 302 and response["Location"] == PAGE
    assert email_enabled(user) is False
    assert not _ticked(client.get(PAGE).content.decode())

    client.post(PAGE, {"email_enabled": "on"})
    assert email_enabled(user) is True


def test_changes_only_the_user_s_own_choice(client, editor, other_editor):
    client.force_login(editor)
    client.post(PAGE, {})
    assert NotificationPreference.objects.get(user=editor).email_enabled is False
    assert not NotificationPreference.objects.filter(user=other_editor).exists()
    assert email_enabled(other_editor) is True


def test_without_an_address__says_no_email_can_come(client, editor):
    client.force_login(editor)
    assert "has no e-mail address" in client.get(PAGE).content.decode()


def test_nobody_lists_the_choices_of_others(client, portal_admin):
    client.force_login(portal_admin)
    assert client.get("/admin/notifications/notificationpreference/").status_code == 404
    assert "notificationpreference" not in client.get("/admin/").content.decode().replace(PAGE, "")


def test_signed_out__sent_to_the_login_page(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
