"""``GET /health/``: is the portal able to serve? JSON for load balancers and people alike.

Anyone gets the answer (200/503 and ``{"status"}``: ok, degraded when a read replica is skipped, or unavailable);
the details — database URL and user, socket path, pgvector version, schemas, each read replica's state and lag,
errors — only a logged-in staff user or a request with a valid API key."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.conf import settings
from django.db import OperationalError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.database_gate import answers_without_database, database_gate
from common.db_schema import pgvector_version, schema_exists, table_exists

REQUIRED_PGVECTOR = (0, 8, 0)  # iterative index scans (knowledge search with filters)
MIN_PGVECTOR = (0, 8, 4)  # below it: a warning


def masked_database_url(db: dict | None = None) -> str:
    """A database's URL (default: the default database's) as HIVE_DATABASE_URL would spell it, with the
    password as ``***``."""
    db = settings.DATABASES["default"] if db is None else db
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = "***" if db.get("PASSWORD") else ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    if host.startswith("/"):
        host = quote(host, safe="")  # a unix socket folder, percent-encoded as in the settings' URL
    elif ":" in host:
        host = f"[{host}]"  # IPv6
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(db.get('NAME') or '', safe='')}"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


# procrastinate's worker writes its heartbeat every 10 s and counts a worker silent for 30 s as stalled.
WORKER_STALLED_SECONDS = 30


def job_queue_report() -> dict:
    """The job queue's state from procrastinate's tables: running workers (heartbeat in the last 30 s), the
    last heartbeat, and jobs waiting, running and failed."""
    if not table_exists(f"{settings.HIVE_SCHEMA}.procrastinate_workers"):
        return {
            "queue": "procrastinate",
            "workers": 0,
            "detail": "The job queue is not migrated: run manage.py migrate.",
        }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM procrastinate_workers"
            "        WHERE last_heartbeat > now() - make_interval(secs => %s)),"
            "       (SELECT max(last_heartbeat) FROM procrastinate_workers),"
            "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"
            "        AND (scheduled_at IS NULL OR scheduled_at <= now())),"
            "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' AND scheduled_at > now()),"
            "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'),"
            "       (SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed')",
            [WORKER_STALLED_SECONDS],
        )
        workers, last_seen, queued, scheduled, running, failed = cursor.fetchone()
    report = {
        "queue": "procrastinate",
        "workers": workers,
        "last_heartbeat": last_seen.isoformat() if last_seen else None,
        "queued": queued,
        "scheduled": scheduled,
        "running": running,
        "failed": failed,
    }
    if not workers:
        report["detail"] = (
            "No job worker is running (none sent a heartbeat in the last 30 s): jobs wait in the queue. "
            "make run starts one; or run manage.py procrastinate worker."
        )
    return report


def health_report() -> tuple[dict, bool]:
    report: dict = {
        "status": "ok",
        "database": {"vendor": connection.vendor, "url": masked_database_url(), "reachable": False},
    }
    healthy = True
    try:
        if database_gate.refuses():  # known down: say so at once rather than wait for the pool
            raise OperationalError("the database is unavailable (probing)")
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["database"]["reachable"] = True
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        report["database"]["error"] = exc.__class__.__name__
        report["status"] = "unavailable"
        return report, False

    if connection.vendor == "postgresql":
        version = pgvector_version()
        report["pgvector"] = version
        report["schemas"] = {
            settings.HIVE_SCHEMA: schema_exists(settings.HIVE_SCHEMA),
            settings.AGNO_SCHEMA: schema_exists(settings.AGNO_SCHEMA),
        }
        if version is None:
            healthy = False
            report["error"] = "The pgvector extension is not installed: run manage.py migrate."
        elif _version_tuple(version) < REQUIRED_PGVECTOR:
            healthy = False
            report["error"] = (
                f"pgvector {version} is older than 0.8: filtered knowledge searches need its iterative "
                "index scans. Upgrade the extension (ALTER EXTENSION vector UPDATE)."
            )
        elif _version_tuple(version) < MIN_PGVECTOR:
            report["warning"] = (
                f"pgvector {version} is older than 0.8.4: upgrade it for iterative index scans and fixes."
            )
        if not report["schemas"][settings.HIVE_SCHEMA]:
            healthy = False
            report["error"] = "Schema “hive” is missing: run manage.py migrate."
        if settings.HIVE_JOB_QUEUE:
            # Reported, never a 503: a load balancer takes a portal out of rotation on 503, and the requests it
            # serves (admin, runtime API) work without the worker — jobs wait in the queue until one runs. Taking
            # every portal out because the worker is down would turn a delay into an outage.
            report["jobs"] = job_queue_report()
    else:
        report["pgvector"] = None
        report["warning"] = "SQLite fallback: no schemas, vector search is exact and in Python."
        report["jobs"] = {"queue": None, "detail": "SQLite fallback: no job queue, jobs run in-process after commit."}
    if settings.HIVE_REPLICA_ALIASES:
        # Never a 503: the primary serves every read a replica would, so a load balancer must keep the portal.
        report["replicas"] = replicas_report()
        if healthy and not all(replica["serving"] for replica in report["replicas"]):
            report["status"] = "degraded"
            report["degraded"] = "A read replica is skipped (see replicas): its reads go to the primary."
    if not healthy:
        report["status"] = "unavailable"
    return report, healthy


def replicas_report() -> list[dict]:
    """Each read replica: its masked URL, state (streaming, lagging, not streaming, not a replica, down), lag in
    seconds and whether it serves reads now (hive_portal.replicas; a verdict at most a second old)."""
    from hive_portal.replicas import replica_monitor

    rows = []
    for alias in settings.HIVE_REPLICA_ALIASES:
        status = replica_monitor.status(alias) or replica_monitor.status(alias, fresh=True)
        assert status is not None  # a fresh check always answers
        row = {
            "alias": alias,
            "url": masked_database_url(settings.DATABASES[alias]),
            "state": status.state,
            "lag_seconds": None if status.lag is None else round(status.lag, 3),
            "max_lag_seconds": settings.HIVE_REPLICA_MAX_LAG,
            "serving": status.serving,
        }
        if status.error:
            row["error"] = status.error
        rows.append(row)
    return rows


def may_see_details(request) -> bool:
    """A staff session or a live API key (of any scope); never raises, even with the database down."""
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active and user.is_staff:
            return True
    except Exception:  # noqa: BLE001 - the session store is the database: down means "not known"
        pass
    from runtime.authentication import ApiKeyAuthentication, raw_key_from_request

    if raw_key_from_request(request) is None:
        return False
    try:
        return ApiKeyAuthentication().authenticate(request) is not None
    except Exception:  # noqa: BLE001 - invalid, revoked, or cannot be checked: no details
        return False


@answers_without_database  # it reports the outage itself
@never_cache
@require_GET
def health(request):
    report, healthy = health_report()
    if not may_see_details(request):
        report = {"status": report["status"]}
    return JsonResponse(report, status=200 if healthy else 503, json_dumps_params={"indent": 2})
