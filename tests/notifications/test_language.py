"""Each person's e-mails in their language: the one they switched the portal to, the browser's at their first login,
or the one they chose on their notification settings page; the portal's default (English) otherwise."""

from __future__ import annotations

import pytest
from django.utils import translation

from hive_portal.testing import run_pending_jobs
from notifications.models import NotificationPreference
from notifications.selectors import email_language
from notifications.services import notification_language_remember, notification_preference_set
from versioning.components import get_kind
from versioning.services import draft_submit

pytestmark = pytest.mark.postgres_only
AGENT = get_kind("agent")


def _language(user) -> str:
    return NotificationPreference.objects.get(user=user).language


def test_email__in_each_recipients_language(
    transactional_db, mailoutbox, with_email, make_agent, editor, publisher, portal_admin
):
    with_email(editor, publisher, portal_admin)
    notification_preference_set(user=publisher, email_enabled=True, language="pt-br")
    make_agent("cards", actor=editor)
    draft_submit(kind=AGENT, component_id="cards", actor=editor, note="Tom novo")
    run_pending_jobs()

    by_address = {message.to[0].split("<")[-1].rstrip(">"): message for message in mailoutbox}
    portuguese = by_address["paula-publisher@example.com"]
    english = by_address["ada-admin@example.com"]
    assert english.subject == "[Hive Portal] Review requested: agent cards v1"
    with translation.override("pt-br"):
        expected = translation.gettext("Review requested: %(component_type)s %(component_id)s v%(version)s") % {
            "component_type": "agente",
            "component_id": "cards",
            "version": 1,
        }
    assert "agente" in expected and "Review requested" not in expected
    assert portuguese.subject == f"[Hive Portal] {expected}"
    assert "Olá" in portuguese.body and "Hello" not in portuguese.body
    assert "Hello" in english.body
    assert translation.get_language() == "en-us"  # sending left the language as it found it


def test_preference__unknown_language__refused_naming_the_field(db, editor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        notification_preference_set(user=editor, email_enabled=True, language="fr")
    assert list(refused.value.message_dict) == ["language"]
    assert not NotificationPreference.objects.filter(user=editor).exists()


def test_remember__first_login_does_not_overwrite_a_choice(db, editor):
    notification_language_remember(user=editor, language="pt-br", only_if_unset=True)
    assert _language(editor) == "pt-br"
    notification_language_remember(user=editor, language="en", only_if_unset=True)
    assert _language(editor) == "pt-br"
    notification_language_remember(user=editor, language="en")
    assert _language(editor) == "en"
    notification_language_remember(user=editor, language="xx")  # not a language of the portal: ignored
    assert _language(editor) == "en"


def test_login__records_the_browsers_language_once(client, editor):
    editor.set_password("correct-horse-battery")
    editor.save()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": editor.username, "password": "correct-horse-battery"},
        HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9",
    )
    assert response.status_code == 302
    assert email_language(editor) == "pt-br"


def test_switcher__sets_the_page_language_and_the_emails(client, editor):
    client.force_login(editor)
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/admin/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "pt-br"
    assert email_language(editor) == "pt-br"
    response = client.post("/i18n/setlang/", {"language": "klingon", "next": "/admin/"})
    assert response.status_code == 302 and "django_language" not in response.cookies
    assert email_language(editor) == "pt-br"


def test_switcher__anonymous__only_the_cookie(db, client):
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/admin/login/"})
    assert response.cookies["django_language"].value == "pt-br"
    assert not NotificationPreference.objects.exists()


def test_settings_page__choose_the_language(client, editor):
    client.force_login(editor)
    page = client.get("/admin/notifications/notificationpreference/mine/")
    assert page.status_code == 200 and 'name="language"' in page.content.decode()
    response = client.post(
        "/admin/notifications/notificationpreference/mine/", {"email_enabled": "on", "language": "pt-br"}
    )
    assert response.status_code == 302
    assert email_language(editor) == "pt-br"
    response = client.post("/admin/notifications/notificationpreference/mine/", {"language": "fr"})
    assert response.status_code == 200 and response.context["form"].errors["language"]
    assert email_language(editor) == "pt-br"
