"""Notifications on either database: through the job queue on PostgreSQL, right after the commit on the SQLite
fallback (no queue, no retries); a broken mail server breaks the change on neither."""

from __future__ import annotations

import pytest

from hive_portal.testing import run_pending_jobs
from versioning.components import get_kind
from versioning.services import component_publish

from .test_sending import _closed_port, _edit

pytestmark = pytest.mark.sqlite_smoke
AGENT = get_kind("agent")


def _run_jobs():
    from common.jobs import queue_enabled

    if queue_enabled():
        run_pending_jobs()  # SQLite has no queue: the jobs ran when the change committed


@pytest.mark.sqlite_smoke
def test_publish__emailed_on_either_database_and_a_broken_server_breaks_nothing(
    transactional_db, settings, mailoutbox, with_email, make_agent, editor, publisher
):
    with_email(editor, publisher)
    make_agent("cards", actor=editor)
    component_publish(kind=AGENT, component_id="cards", actor=publisher)
    _run_jobs()
    assert [message.to for message in mailoutbox] == [["eddie-editor@example.com"]]

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    _edit("cards", editor, name="Second")
    assert component_publish(kind=AGENT, component_id="cards", actor=publisher).status == "published"
    _run_jobs()
    assert len(mailoutbox) == 1
