"""What the in-process benchmarks share: an embedded PostgreSQL of their own in a temporary folder, Django set
up against it, and a timer that reports a cold run and the median of warm ones."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextmanager
def embedded_django(database: str = "bench") -> Iterator[Path]:
    """Start an embedded PostgreSQL in a temporary folder, point Django at it and set it up; stop and remove
    everything on the way out."""
    from hive_portal.embedded_db import ensure_server, stop_server

    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-", dir="/tmp"))
    try:
        url = ensure_server(data_dir / "pgdata", database=database)
        os.environ.update(
            {
                "HIVE_DATABASE_URL": url,
                "HIVE_DATA_DIR": str(data_dir),
                "HIVE_SECRET_KEY": "bench-" + "k7Qx" * 14,
                "HIVE_DEBUG": "true",
                "HIVE_HTTPS": "false",
                "HIVE_ALLOWED_HOSTS": "testserver,localhost",
                "HIVE_LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "hive_portal.settings",
            }
        )
        import django

        django.setup()
        yield data_dir
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - best effort before stopping the server
            pass
        stop_server(data_dir / "pgdata")
        shutil.rmtree(data_dir, ignore_errors=True)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(cold, median, max) seconds: one first run, then ``repeat`` timed runs."""
    start = time.perf_counter()
    fn()
    cold = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return cold, statistics.median(runs), max(runs)
