"""gunicorn settings for `make run` (and production): everything from the environment."""

import multiprocessing
import os
import sys


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
        sys.stderr.write(f"Configuration error: {variable} must be a whole number of at least {minimum}, not {raw!r}.\n")
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


def on_starting(server):
    # Validate settings once, in the master: a bad variable is one sentence, not a traceback per worker.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hive_portal.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


def when_ready(server):
    for address in bind:
        if address.startswith("unix:"):
            server.log.info("Hive Portal is ready on %s", address)
        else:
            server.log.info("Hive Portal is ready: http://%s/admin/  (health: http://%s/health/)", address, address)
