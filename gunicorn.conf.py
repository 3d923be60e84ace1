"""gunicorn settings for `make run` (and production): everything from the environment."""

import multiprocessing
import os
import sys

bind = [os.environ.get("HIVE_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("HIVE_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("HIVE_THREADS", 1))
timeout = int(os.environ.get("HIVE_WORKER_TIMEOUT", 60))
graceful_timeout = 20
max_requests = int(os.environ.get("HIVE_MAX_REQUESTS", 0))
max_requests_jitter = 100
accesslog = os.environ.get("HIVE_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("HIVE_LOG_LEVEL", "info").lower()
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
