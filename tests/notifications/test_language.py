"""Each person's e-mails in their language: the one they switched the portal to, the browser's at their first login,
or the one they chose on their notification settings page; the portal's default (English) otherwise."""

from __future__ import annotations

import pytest
from django.utils import translation

from hive_portal.testing import run_pending_jobs
from notifications.models import NotificationPreference
from notifications.selectors import preferred_language
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
    assert preferred_language(editor) == "pt-br"


def test_switcher__sets_the_page_language_and_the_emails(client, editor):
    client.force_login(editor)
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/admin/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "pt-br"
    assert preferred_language(editor) == "pt-br"
    response = client.post("/i18n/setlang/", {"language": "klingon", "next": "/admin/"})
    assert response.status_code == 302 and "django_language" not in response.cookies
    assert preferred_language(editor) == "pt-br"


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
    assert preferred_language(editor) == "pt-br"
    response = client.post("/admin/notifications/notificationpreference/mine/", {"language": "fr"})
    assert response.status_code == 200 and response.context["form"].errors["language"]
    assert preferred_language(editor) == "pt-br"


def test_pages__a_new_browser_gets_the_persons_language_and_keeps_it(client, editor):
    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    client.force_login(editor)
    page = client.get("/admin/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="pt-br"' in page.content.decode()
    assert page.cookies["django_language"].value == "pt-br"  # remembered by this browser from now on

    client.cookies["django_language"] = "en"  # the browser's own choice wins
    page = client.get("/admin/")
    assert '<html lang="en' in page.content.decode() and "django_language" not in page.cookies


def test_pages__no_preference__the_browsers_language__no_cookie_set(client, editor):
    client.force_login(editor)
    page = client.get("/admin/", headers={"accept-language": "pt-BR"})
    assert '<html lang="pt-br"' in page.content.decode() and "django_language" not in page.cookies


def test_api__stays_english_and_sets_no_cookie(client, editor):
    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    client.force_login(editor)
    response = client.get("/api/v1/agents/")
    assert "django_language" not in response.cookies


def test_pages__the_preference_is_read_once_per_login(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def preference_reads(context) -> int:
        return sum("notification_preferences" in query["sql"] for query in context.captured_queries)

    client.force_login(editor)
    with CaptureQueriesContext(connection) as first:
        client.get("/admin/")
    with CaptureQueriesContext(connection) as second:
        client.get("/admin/")
    assert preference_reads(first) == 1 and preference_reads(second) == 0
