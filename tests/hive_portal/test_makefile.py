"""`make run`: what it does with the embedded database (local) and with a database URL (production).

The real Makefile runs with a virtualenv of stand-ins for python and gunicorn that record their
arguments and HIVE_HTTPS, so nothing is migrated or served."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDER = '#!/bin/sh\necho "$(basename "$0") HIVE_HTTPS=${HIVE_HTTPS-unset} $*" >> "$RECORD"\n'

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_run(tmp_path, **env) -> list[str]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("python", "gunicorn"):
        tool = venv / "bin" / name
        tool.write_text(RECORDER)
        tool.chmod(0o755)
    (venv / ".runtime").touch()
    os.utime(venv / ".runtime", (4_000_000_000, 4_000_000_000))  # newer than requirements.txt
    record = tmp_path / "record.txt"
    base = {k: v for k, v in os.environ.items() if k not in {"HIVE_DATABASE_URL", "DATABASE_URL", "HIVE_HTTPS"}}
    base.update(RECORD=str(record), **env)
    subprocess.run(
        ["make", "-s", "-C", str(ROOT), "run", f"VENV={venv}"], env=base, check=True, capture_output=True, timeout=60
    )
    return record.read_text().splitlines()


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a .env file would decide instead")
def test_make_run__embedded_database__plain_http_and_the_demo(tmp_path):
    lines = make_run(tmp_path)
    assert "python HIVE_HTTPS=false manage.py load_demo --only-embedded" in lines
    assert lines[-1] == "gunicorn HIVE_HTTPS=false -c gunicorn.conf.py hive_portal.wsgi"


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a .env file would decide instead")
def test_make_run__database_url__secure_default_kept_and_demo_only_embedded(tmp_path):
    lines = make_run(tmp_path, HIVE_DATABASE_URL="postgresql://hive@db.example.com/hive")
    assert "python HIVE_HTTPS=unset manage.py load_demo --only-embedded" in lines
    assert lines[-1] == "gunicorn HIVE_HTTPS=unset -c gunicorn.conf.py hive_portal.wsgi"


def test_make_run__explicit_hive_https__respected(tmp_path):
    lines = make_run(tmp_path, HIVE_HTTPS="true")
    assert lines[-1] == "gunicorn HIVE_HTTPS=true -c gunicorn.conf.py hive_portal.wsgi"
