"""Notification e-mails: who gets one about each review step and release (once), the opt-out, and that the mail
server never holds up or breaks the change."""

from __future__ import annotations

import socket

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from hive_portal.testing import make_jobs_due, queued_jobs, run_pending_jobs
from notifications.services import notification_preference_set
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.services import component_publish, component_rollback, draft_approve, draft_reject, draft_submit

pytestmark = pytest.mark.postgres_only
AGENT = get_kind("agent")


def _edit(agent_id: str, actor, **fields):
    agent = Agent.objects.get(agent_id=agent_id)
    return agent_update(agent=agent, actor=actor, note=f"edit by {actor}", **fields)


def _sent(mailoutbox) -> list[tuple[str, str]]:
    """(recipient address, subject) of every message sent, in a stable order."""
    return sorted((message.to[0].split("<")[-1].rstrip(">"), message.subject) for message in mailoutbox)


def test_submit__the_publishers_who_may_review_it__once_each(
    transactional_db, mailoutbox, with_email, make_agent, viewer, editor, other_editor, publisher, portal_admin
):
    with_email(viewer, editor, other_editor, publisher, portal_admin)
    make_agent("cards", actor=editor)
    draft_submit(kind=AGENT, component_id="cards", actor=editor, note="New tone, please check")
    run_pending_jobs()
    run_pending_jobs()  # nothing is sent twice

    subject = "[Hive Portal] Review requested: agent cards v1"
    assert _sent(mailoutbox) == [
        ("ada-admin@example.com", subject),
        ("paula-publisher@example.com", subject),
    ]  # not the editor who submitted it, not other editors or viewers
    body = mailoutbox[0].body
    pk = Agent.objects.get(agent_id="cards").pk
    assert f"https://hive.example.com/admin/agents/agent/{pk}/change/" in body
    assert 'eddie-editor submitted draft v1 of agent "cards" for review.' in body
    assert "New tone, please check" in body
    assert "https://hive.example.com/admin/notifications/notificationpreference/mine/" in body
    assert mailoutbox[0].from_email == "Hive Portal <hive-portal@localhost>"


def test_submit__a_publisher_who_edited_the_draft__not_asked_to_review_it(
    transactional_db, mailoutbox, with_email, make_agent, editor, publisher, second_publisher
):
    with_email(editor, publisher, second_publisher)
    make_agent("cards", actor=editor)
    _edit("cards", publisher, name="Publisher's wording")
    draft_submit(kind=AGENT, component_id="cards", actor=editor)
    run_pending_jobs()
    assert [to for to, _ in _sent(mailoutbox)] == ["peter-publisher@example.com"]


def test_superuser__counts_as_a_publisher(transactional_db, mailoutbox, with_email, make_agent, editor):
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_superuser("root", "root@example.com", "not-used-123")
    get_user_model().objects.create_user("not-staff", "ns@example.com", "not-used-123", is_superuser=True)
    make_agent("cards", actor=editor)
    draft_submit(kind=AGENT, component_id="cards", actor=editor)
    run_pending_jobs()
    assert [message.to for message in mailoutbox] == [[boss.email]]


@pytest.mark.parametrize(
    ("review", "subject", "said"),
    [
        ("reject", "[Hive Portal] Changes requested: agent cards v1", "Too formal for customers"),
        ("approve", "[Hive Portal] Approved: agent cards v1", "A publisher may now publish it."),
    ],
)
def test_review__every_editor_of_the_draft__not_the_reviewer(
    transactional_db, mailoutbox, with_email, make_agent, editor, other_editor, publisher, review, subject, said
):
    with_email(editor, other_editor, publisher)
    make_agent("cards", actor=editor)
    _edit("cards", other_editor, name="Second wording")
    draft_submit(kind=AGENT, component_id="cards", actor=other_editor)
    run_pending_jobs()
    mailoutbox.clear()  # the review request went to the publisher

    if review == "reject":
        draft_reject(kind=AGENT, component_id="cards", actor=publisher, reason="Too formal for customers")
    else:
        draft_approve(kind=AGENT, component_id="cards", actor=publisher)
    run_pending_jobs()

    assert _sent(mailoutbox) == [("eddie-editor@example.com", subject), ("erin-editor@example.com", subject)]
    assert said in mailoutbox[0].body


def test_publish__the_editors_of_what_went_live__not_the_publisher(
    transactional_db, mailoutbox, with_email, make_agent, editor, publisher, second_publisher
):
    with_email(editor, publisher, second_publisher)
    make_agent("cards", actor=editor)
    _edit("cards", publisher, name="Publisher's touch")  # the publisher edited it too: still not told of their act
    component_publish(kind=AGENT, component_id="cards", actor=publisher, note="Go live")
    run_pending_jobs()

    assert _sent(mailoutbox) == [("eddie-editor@example.com", "[Hive Portal] Published: agent cards v1 in staging")]
    assert 'paula-publisher published v1 of agent "cards", which you edited. It is live in staging now.' in (
        mailoutbox[0].body
    )


def test_rollback__the_editors_of_the_version_taken_off_and_of_the_discarded_draft(
    transactional_db, mailoutbox, with_email, make_agent, viewer, editor, other_editor, publisher
):
    with_email(viewer, editor, other_editor, publisher)
    make_agent("cards", publish=True)  # v1, by the test setup
    _edit("cards", editor, name="Second")
    component_publish(kind=AGENT, component_id="cards", actor=publisher)  # v2, edited by the editor
    _edit("cards", other_editor, name="Work in progress")  # v3, an open draft
    run_pending_jobs()
    mailoutbox.clear()

    component_rollback(kind=AGENT, component_id="cards", to_version=1, actor=publisher, note="v2 confused people")
    run_pending_jobs()

    subject = "[Hive Portal] Rolled back: agent cards in staging"
    assert _sent(mailoutbox) == [("eddie-editor@example.com", subject), ("erin-editor@example.com", subject)]
    assert "v4 is live now, with the configuration of v1." in mailoutbox[0].body
    assert "v2 confused people" in mailoutbox[0].body


def test_opt_out__no_email__and_turning_it_off_after_the_event_counts_too(
    transactional_db, mailoutbox, with_email, make_agent, editor, other_editor, publisher
):
    with_email(editor, other_editor, publisher)
    notification_preference_set(user=editor, email_enabled=False)
    make_agent("cards", actor=editor)
    _edit("cards", other_editor, name="Second wording")
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    notification_preference_set(user=other_editor, email_enabled=False)  # after the publish, before the job ran
    run_pending_jobs()
    assert mailoutbox == []

    notification_preference_set(user=editor, email_enabled=True)
    _edit("cards", other_editor, name="Third wording")
    _edit("cards", editor, name="Fourth wording")
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    run_pending_jobs()
    assert [to for to, _ in _sent(mailoutbox)] == ["eddie-editor@example.com"]


def test_without_an_address_or_inactive__skipped(
    transactional_db, mailoutbox, with_email, make_agent, editor, other_editor, publisher
):
    with_email(other_editor)
    other_editor.is_active = False
    other_editor.save()
    make_agent("cards", actor=editor)  # the editor has no address
    _edit("cards", other_editor, name="Second wording")
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    run_pending_jobs()
    assert mailoutbox == [] and queued_jobs() == []


def test_refused_or_rolled_back_change__sends_nothing(
    transactional_db, mailoutbox, with_email, make_agent, editor, publisher
):
    from django.core.exceptions import ValidationError

    with_email(editor, publisher)
    make_agent("cards", actor=editor)
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    run_pending_jobs()
    mailoutbox.clear()
    with pytest.raises(ValidationError):  # nothing to publish: refused
        component_publish(kind=AGENT, component_id="cards", actor=publisher)
    _edit("cards", editor, name="Second")
    with pytest.raises(RuntimeError), transaction.atomic():
        component_publish(kind=AGENT, component_id="cards", actor=publisher)
        raise RuntimeError("something after the publish fails")

    assert queued_jobs() == []
    run_pending_jobs()
    assert mailoutbox == []
    assert ComponentVersion.objects.get(component_id="cards", version=2).status == "draft"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_broken_mail_server__publish_succeeds_and_the_message_is_retried_until_it_goes(
    transactional_db, settings, mailoutbox, with_email, make_agent, editor, publisher
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    with_email(editor, publisher)
    make_agent("cards", actor=editor)

    version = component_publish(kind=AGENT, component_id="cards", actor=publisher)
    assert version.status == "published"  # the mail server played no part in the publish

    before = timezone.now()
    run_pending_jobs()  # the message's first attempt: connection refused
    [job] = queued_jobs("notifications.send_email")
    assert 55 <= (job["scheduled_at"] - before).total_seconds() <= 65  # retried after a minute
    assert mailoutbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    make_jobs_due()
    run_pending_jobs()
    assert [message.to for message in mailoutbox] == [["eddie-editor@example.com"]]
    assert queued_jobs() == []


def test_broken_mail_server__gives_up_after_the_last_attempt(
    transactional_db, settings, mailoutbox, with_email, make_agent, editor, publisher
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    settings.HIVE_EMAIL_MAX_ATTEMPTS = 2
    with_email(editor, publisher)
    make_agent("cards", actor=editor)
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    for _ in range(3):
        run_pending_jobs()
        make_jobs_due()

    job = ProcrastinateJob.objects.get(task_name="notifications.send_email")
    assert (job.status, job.attempts) == ("failed", 2)


def test_queueing_fails__the_change_goes_ahead_without_its_emails(
    transactional_db, monkeypatch, mailoutbox, with_email, make_agent, editor, publisher
):
    from common import jobs

    def broken_defer(task, **kwargs):
        raise DatabaseError("the job table is unavailable")

    with_email(editor, publisher)
    make_agent("cards", actor=editor)
    monkeypatch.setattr(jobs, "defer", broken_defer)
    version = component_publish(kind=AGENT, component_id="cards", actor=publisher)
    assert ComponentVersion.objects.get(pk=version.pk).status == "published"


def test_smtp__temporary_failure_retried__then_one_message_with_the_link(
    transactional_db, smtp_server, with_email, make_agent, editor, publisher
):
    with_email(editor, publisher)
    editor.first_name, editor.last_name = "Eddie", "Éditeur"
    editor.save()
    smtp_server.answers = [451]
    make_agent("cards", actor=editor)
    component_publish(kind=AGENT, component_id="cards", actor=publisher)

    run_pending_jobs()
    assert smtp_server.messages == []
    make_jobs_due()
    run_pending_jobs()
    run_pending_jobs()

    [raw] = smtp_server.messages
    assert "To: =?utf-8?" in raw and "<eddie-editor@example.com>" in raw  # the name encoded, the address as is
    assert "Subject: [Hive Portal] Published: agent cards v1 in staging" in raw
    assert "https://hive.example.com/admin/agents/agent/" in raw
    assert queued_jobs() == []
