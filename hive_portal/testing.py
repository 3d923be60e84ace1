"""Shared test helpers (imported by tests/conftest.py and the app test modules)."""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser

from rest_framework.test import APIClient


def reset_process_caches() -> None:
    """Forget every per-worker cache: tests roll the database back, caches would outlive it."""
    from hive_portal.replicas import replica_monitor
    from runtime.authentication import key_cache
    from runtime.bundle import bundle_builder
    from runtime.documents import document_cache
    from runtime.rollouts import rollout_cache
    from runtime.state import reset_backoff

    key_cache.clear()
    replica_monitor.reset()
    bundle_builder.clear()
    document_cache.clear()
    rollout_cache.clear()
    reset_backoff()


def make_api_key(name: str = "test-runtime", scopes: Iterable[str] = ("config:read",), environment: str | None = None):
    from runtime.services import api_key_create

    return api_key_create(name=name, scopes=list(scopes), environment=environment)


def key_client(raw_key: str, *, header: str = "bearer") -> APIClient:
    client = APIClient()
    if header == "bearer":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    else:
        client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def error_of(response) -> dict:
    """The ``error`` object of an API error response, asserting the shared shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]


class _FormStructure(HTMLParser):
    """Finds the form mistakes a browser hides: a <form> inside a <form> (the browser drops the inner tag
    and its </form> closes the outer form early) and submit buttons that belong to no form."""

    SUBMITS = {("button", "submit"), ("input", "submit"), ("input", "image")}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.form_ids: set[str] = set()
        self.orphans: list[tuple[str, str]] = []  # (form attribute, description) of buttons outside a form
        self._open: list[str] = []  # descriptions of the open <form> elements

    @staticmethod
    def _describe(tag: str, attrs: dict) -> str:
        shown = " ".join(f'{k}="{v}"' for k, v in attrs.items() if k in ("id", "name", "action", "value", "method"))
        return f"<{tag} {shown}>".replace(" >", ">")

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "form":
            if attrs.get("id"):
                self.form_ids.add(attrs["id"])
            if self._open:
                self.problems.append(
                    f"nested form: {self._describe(tag, attrs)} inside {self._open[-1]} (line {self.getpos()[0]})"
                )
            self._open.append(self._describe(tag, attrs))
            return
        # A <button> with no type outside any form is a script's button (Django's theme and sidebar toggles);
        # one that says it submits, names a form, or carries a name and value to submit is a form control.
        implied = tag == "button" and ("name" in attrs or "form" in attrs)
        explicit = attrs.get("type", "").lower() or ("submit" if implied else "")
        if (tag, explicit) in self.SUBMITS and not self._open:
            self.orphans.append((attrs.get("form", ""), f"{self._describe(tag, attrs)} (line {self.getpos()[0]})"))

    def handle_endtag(self, tag):
        if tag == "form" and self._open:
            self._open.pop()


def html_form_problems(html: str) -> list[str]:
    """Nested forms and submit buttons that submit nothing (outside every form, with no valid ``form=``)."""
    parser = _FormStructure()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    for form_id, button in parser.orphans:
        if not form_id:
            problems.append(f"submit button outside any form: {button}")
        elif form_id not in parser.form_ids:
            problems.append(f"submit button names a form that does not exist (form={form_id!r}): {button}")
    return problems


# --- The job queue -------------------------------------------------------------------------------


def run_pending_jobs() -> None:
    """Run every job that is due with a real procrastinate worker (its own connection, so only committed jobs
    are seen: use it with ``transactional_db``), returning once the queue has no due job left."""
    from asgiref.sync import async_to_sync, sync_to_async
    from django.db import connections
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.django_connector import DjangoConnector
    from procrastinate.periodic import PeriodicRegistry

    assert isinstance(app.connector, DjangoConnector)  # the app procrastinate.contrib.django configures
    worker_app = app.with_connector(app.connector.get_worker_connector())
    # No periodic deferrer: a test runs the jobs it queued, not the every-minute ones (guard, schedule sweep),
    # which would appear in the queue and run against whatever the test left behind.
    worker_app.periodic_registry = PeriodicRegistry()
    worker_app.run_worker(wait=False, listen_notify=False, install_signal_handlers=False, name="test-worker")
    # Give back what the worker's thread-sensitive executor thread holds (it outlives the worker): the
    # connection pool is shared by the whole test session.
    async_to_sync(sync_to_async(connections.close_all, thread_sensitive=True))()


def make_jobs_due() -> int:
    """Bring every job scheduled for later forward to now (a retry's back-off, a scheduled publish); returns
    how many. The jobs' own ``scheduled_at`` is what a test reads first to assert the delay."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo' AND scheduled_at > now()"
        )
        return cursor.rowcount


def queued_jobs(task_name: str | None = None) -> list[dict]:
    """The waiting jobs (status todo), oldest first: task name, arguments, scheduled time, queueing lock."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT task_name, args, scheduled_at, queueing_lock FROM procrastinate_jobs"
            " WHERE status = 'todo' AND (%s::text IS NULL OR task_name = %s) ORDER BY id",
            [task_name, task_name],
        )
        return [
            {
                "task_name": name,
                "args": json.loads(args) if isinstance(args, str) else args,
                "scheduled_at": at,
                "queueing_lock": lock,
            }
            for name, args, at, lock in cursor.fetchall()
        ]
