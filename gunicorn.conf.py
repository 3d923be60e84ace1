"""gunicorn settings for `make run` (and production): everything from the environment."""

import multiprocessing
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# The settings then connect as the application role where the portal sets one up (embedded database).
os.environ["HIVE_SERVING"] = "1"


def _int(variable: str, default: int, *, minimum: int) -> int:
    # Same contract as the settings: one sentence naming the variable, exit code 2, no traceback.
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        sys.stderr.write(
            f"Configuration error: {variable} must be a whole number of at least {minimum}, not {raw!r}.\n"
        )
        sys.exit(2)
    return value


# Settings validate HIVE_BIND (in on_starting); an empty value means the default there too.
bind = [os.environ.get("HIVE_BIND", "").strip() or "127.0.0.1:8000"]
workers = _int("HIVE_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9), minimum=1)
threads = _int("HIVE_THREADS", 1, minimum=1)
timeout = _int("HIVE_WORKER_TIMEOUT", 60, minimum=1)
graceful_timeout = 20
max_requests = _int("HIVE_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = 100
accesslog = os.environ.get("HIVE_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("HIVE_LOG_LEVEL", "").strip().lower() or "info"
forwarded_allow_ips = os.environ.get("HIVE_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "hive-portal"


def _data_dir() -> Path:
    # As the settings resolve HIVE_DATA_DIR (importing them here would turn a bad variable into a traceback:
    # on_starting reports it in one sentence).
    raw = os.environ.get("HIVE_DATA_DIR", "").strip()
    if not raw and (BASE_DIR / ".env").is_file():
        for line in (BASE_DIR / ".env").read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition("=")
            if name.strip() == "HIVE_DATA_DIR":
                raw = value.strip().strip("'\"")
    path = Path(raw or ".hive").expanduser()
    return path if path.is_absolute() else (BASE_DIR / path).resolve()


# gunicorn's control socket (gunicornc) lives with this portal's data, not in $HOME/.gunicorn where every
# gunicorn of the user shares one path (a second portal would take over the first one's socket).
control_socket = str(_data_dir() / "gunicorn.ctl")
control_socket_mode = 0o600
if len(control_socket.encode()) > 100:  # a unix socket path has at most 107 bytes on Linux
    control_socket_disable = True


def on_starting(server):
    # Validate settings and start the embedded database once, in the master: a bad variable is one sentence,
    # not a traceback per worker, and the workers fork from a prepared process (hive_portal.startup).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hive_portal.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from hive_portal.startup import prepare

        prepare()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


def when_ready(server):
    # Say so when the serving role could rewrite history (a superuser, or the audit table's owner).
    try:
        from hive_portal.db_roles import serving_role_problems

        for problem in serving_role_problems():
            server.log.warning(
                "Database role: %s Serve with a role granted by hive_portal.db_roles (see README).", problem
            )
    except Exception as exc:  # noqa: BLE001 - a warning must never stop the server
        server.log.warning("Database role could not be checked: %s", exc)
    _start_job_worker(server)
    for address in bind:
        if address.startswith("unix:"):
            server.log.info("Hive Portal is ready on %s", address)
        else:
            server.log.info("Hive Portal is ready: http://%s/admin/  (health: http://%s/health/)", address, address)


def _start_job_worker(server):
    # The job queue's worker (hive_portal/job_worker.py) runs beside the server and stops with it. Not on the
    # long-poll server (the main one has it), nor with HIVE_JOB_WORKER=false (a worker run elsewhere, e.g. its own
    # systemd unit), nor on SQLite (no queue: jobs run in-process).
    if os.environ.get("HIVE_JOB_WORKER", "true").strip().lower() in {"0", "false", "no", "off"}:
        return
    if os.environ.get("HIVE_LONG_POLL", "").strip().lower() in {"1", "true", "yes", "on"}:
        return
    try:
        from django.conf import settings

        from hive_portal import job_worker

        if not settings.HIVE_JOB_QUEUE:
            server.log.info("No job worker: the SQLite fallback runs jobs in-process after each commit.")
            return
        pid = job_worker.start(settings.DATA_DIR)
        server.log.info("Job worker started (pid %s): manage.py procrastinate worker", pid)
    except Exception as exc:  # noqa: BLE001 - the portal serves without it; /health/ shows the missing worker
        server.log.error("The job worker could not be started: %s", exc)


def on_exit(server):
    try:
        from django.conf import settings

        from hive_portal import job_worker

        if job_worker.stop(settings.DATA_DIR):
            server.log.info("Job worker stopped.")
    except Exception as exc:  # noqa: BLE001 - exiting anyway
        server.log.warning("The job worker could not be stopped: %s", exc)
