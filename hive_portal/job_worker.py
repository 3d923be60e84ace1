"""The job worker that ``make run`` starts beside gunicorn: ``manage.py procrastinate worker``.

gunicorn's master starts it once it is ready (``gunicorn.conf.py`` ``when_ready``) and stops it when it
exits (``on_exit``); the worker also gets SIGTERM from the kernel if the master dies without cleaning up
(Linux's parent-death signal), so it never outlives the server. Its pid is kept in the data folder
(``job-worker.pid``): a new start first stops a worker left from an earlier run, and ``make stop``
(``manage.py job_worker stop``) stops it before the embedded database. Nothing here imports Django: the
master calls it before and after the settings are loaded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PID_FILE = "job-worker.pid"
BASE_DIR = Path(__file__).resolve().parent.parent


def _pid_file(data_dir: Path) -> Path:
    return Path(data_dir) / PID_FILE


def running_pid(data_dir: Path) -> int | None:
    """The pid of this data folder's worker when that process is alive and is a job worker."""
    try:
        pid = int(_pid_file(data_dir).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    # A recycled pid belongs to some other program: never signal it.
    return pid if b"procrastinate" in cmdline and b"worker" in cmdline else None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(data_dir: Path, *, python: str | None = None) -> int:
    """Start the worker (stopping one left from an earlier run first); returns its pid."""
    stop(data_dir)
    process = subprocess.Popen(
        # Two at once: an evaluation run (a minute or more) never holds up a webhook delivery or a schedule.
        [python or sys.executable, str(BASE_DIR / "manage.py"), "procrastinate", "worker", "--concurrency", "2"],
        cwd=str(BASE_DIR),
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )
    _pid_file(data_dir).write_text(f"{process.pid}\n")
    return process.pid


def stop(data_dir: Path, *, timeout: float = 25.0) -> bool:
    """Stop this data folder's worker: SIGTERM lets it finish the job in hand (procrastinate's graceful stop),
    SIGKILL after ``timeout`` seconds. True when one was running."""
    pid = running_pid(data_dir)
    _pid_file(data_dir).unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child (gunicorn's master)
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
