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
    response = _log_in(client, editor, accept_language="pt-BR,pt;q=0.9")
    assert response.status_code == 302
    assert preferred_language(editor) == "pt-br"
    client.logout()
    _log_in(client, editor, accept_language="en-US")  # not over what the first login recorded
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


def _log_in(client, user, **headers):
    user.set_password("correct-horse-battery")
    user.save()
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "correct-horse-battery"},
        headers=headers,
    )


def test_login__on_a_new_browser__the_persons_language(client, editor):
    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    response = _log_in(client, editor, accept_language="en-US,en;q=0.9")
    assert response.status_code == 302 and response.cookies["django_language"].value == "pt-br"
    assert '<html lang="pt-br"' in client.get("/admin/").content.decode()
    assert preferred_language(editor) == "pt-br"


def test_login__the_browsers_own_cookie_wins(client, editor):
    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    client.cookies["django_language"] = "en"
    response = _log_in(client, editor)
    assert "django_language" not in response.cookies
    assert '<html lang="en' in client.get("/admin/").content.decode()


def test_pages__no_query_for_the_language_after_the_login(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    _log_in(client, editor)
    with CaptureQueriesContext(connection) as page:
        client.get("/admin/")
    assert not [query for query in page.captured_queries if "notification_preferences" in query["sql"]]


def test_api__stays_english_and_sets_no_cookie(client, editor):
    notification_preference_set(user=editor, email_enabled=True, language="pt-br")
    client.force_login(editor)
    response = client.get("/api/v1/agents/")
    assert "django_language" not in response.cookies
