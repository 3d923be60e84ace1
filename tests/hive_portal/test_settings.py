"""Settings come from the environment; a bad value stops start-up with one sentence naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .conftest import BASE_DIR, manage, manage_ok, postgres_url, random_secret, server_params

pytestmark = pytest.mark.sqlite_smoke


def _assert_config_error(result, variable: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {variable} "), lines[0]
    assert lines[0].endswith("."), lines[0]


BAD_VALUES = [
    ("HIVE_DEBUG", {"HIVE_DEBUG": "maybe"}),
    ("HIVE_BIND", {"HIVE_BIND": "nonsense"}),
    ("HIVE_BIND", {"HIVE_BIND": "127.0.0.1:99999"}),
    ("HIVE_BIND", {"HIVE_BIND": "127.0.0.1:0"}),
    ("HIVE_ALLOWED_HOSTS", {"HIVE_ALLOWED_HOSTS": ""}),
    ("HIVE_ALLOWED_HOSTS", {"HIVE_ALLOWED_HOSTS": " , "}),
    ("HIVE_SECRET_KEY", {"HIVE_SECRET_KEY": "too-short"}),
    ("HIVE_SECRET_KEY", {"HIVE_SECRET_KEY": "ab" * 40}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "mysql://hive:secret@db.example.com/hive"}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "garbage"}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "sqlite://"}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "sqlite://:memory:"}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "postgresql://hive@db.example.com:notaport/hive"}),
    ("HIVE_DATABASE_URL", {"HIVE_DATABASE_URL": "postgresql://hive@db.example.com:5432"}),
    ("DATABASE_URL", {"HIVE_DATABASE_URL": "", "DATABASE_URL": "mysql://hive@db.example.com/hive"}),
    ("HIVE_EMBEDDING_DIMENSIONS", {"HIVE_EMBEDDING_DIMENSIONS": "abc"}),
    ("HIVE_EMBEDDING_DIMENSIONS", {"HIVE_EMBEDDING_DIMENSIONS": "1"}),
    ("HIVE_ADMIN_PASSWORD", {"HIVE_ADMIN_PASSWORD": "short"}),
    ("HIVE_HTTPS", {"HIVE_HTTPS": "sometimes"}),
    ("HIVE_REQUIRE_REVIEW", {"HIVE_REQUIRE_REVIEW": "perhaps"}),
    ("HIVE_LOGIN_FAILURE_LIMIT", {"HIVE_LOGIN_FAILURE_LIMIT": "0"}),
    ("HIVE_LOGIN_COOLOFF_MINUTES", {"HIVE_LOGIN_COOLOFF_MINUTES": "soon"}),
    ("HIVE_MAX_BODY_BYTES", {"HIVE_MAX_BODY_BYTES": "-1"}),
    ("HIVE_TIME_ZONE", {"HIVE_TIME_ZONE": "Nowhere/Land"}),
    ("HIVE_LOG_LEVEL", {"HIVE_LOG_LEVEL": "loud"}),
    ("HIVE_CSRF_TRUSTED_ORIGINS", {"HIVE_CSRF_TRUSTED_ORIGINS": "hive.example.com"}),
    ("HIVE_EVAL_GATE", {"HIVE_EVAL_GATE": "strict"}),
    ("HIVE_EVAL_BASE_URL", {"HIVE_EVAL_BASE_URL": "llm-gateway.example/v1"}),
    ("HIVE_EVAL_CONCURRENCY", {"HIVE_EVAL_CONCURRENCY": "0"}),
    ("HIVE_EVAL_MIN_PASS_RATE", {"HIVE_EVAL_MIN_PASS_RATE": "101"}),
    (
        "HIVE_DB_POOL_MAX",
        {"HIVE_DATABASE_URL": "postgresql://hive@db.example.com:5432/hive", "HIVE_DB_POOL_MAX": "many"},
    ),
    ("HIVE_DATABASE_REPLICA_URLS", {"HIVE_DATABASE_REPLICA_URLS": "postgresql://hive@replica.example.com/hive"}),
    (
        "HIVE_DATABASE_REPLICA_URLS",
        {
            "HIVE_DATABASE_URL": "postgresql://hive@db.example.com:5432/hive",
            "HIVE_DATABASE_REPLICA_URLS": "postgresql://hive@r1.example.com/hive,mysql://hive@r2.example.com/hive",
        },
    ),
    (
        "HIVE_DATABASE_REPLICA_URLS",
        {
            "HIVE_DATABASE_URL": "postgresql://hive@db.example.com:5432/hive",
            "HIVE_DATABASE_REPLICA_URLS": "postgresql://hive@r1.example.com:5432",
        },
    ),
    ("HIVE_REPLICA_MAX_LAG", {"HIVE_REPLICA_MAX_LAG": "0"}),
    ("HIVE_READ_YOUR_WRITES_SECONDS", {"HIVE_REPLICA_MAX_LAG": "10", "HIVE_READ_YOUR_WRITES_SECONDS": "5"}),
    ("HIVE_EMAIL_URL", {"HIVE_EMAIL_URL": "mail.example.com:587"}),
    ("HIVE_EMAIL_URL", {"HIVE_EMAIL_URL": "smtp+tls://user:secret@:587"}),
    ("EMAIL_URL", {"EMAIL_URL": "pigeon://coop"}),
    ("HIVE_EMAIL_FROM", {"HIVE_EMAIL_FROM": "Hive Portal"}),
    ("HIVE_EMAIL_TIMEOUT", {"HIVE_EMAIL_TIMEOUT": "0"}),
    ("HIVE_EMAIL_MAX_ATTEMPTS", {"HIVE_EMAIL_MAX_ATTEMPTS": "many"}),
    ("HIVE_PUBLIC_URL", {"HIVE_PUBLIC_URL": "hive.example.com"}),
    ("HIVE_PUBLIC_URL", {"HIVE_PUBLIC_URL": "ftp://hive.example.com"}),
    ("HIVE_PUBLIC_URL", {"HIVE_PUBLIC_URL": "https://hive.example.com/?next=1"}),
    ("HIVE_PUBLIC_URL", {"HIVE_PUBLIC_URL": "https://hive.example.com:http"}),
]


@pytest.mark.parametrize(
    ("variable", "overrides"),
    BAD_VALUES,
    ids=[f"{variable}={next(iter(o.values()))!s}"[:60] for variable, o in BAD_VALUES],
)
def test_check__bad_value__one_sentence_naming_the_variable(subprocess_env, variable, overrides):
    _assert_config_error(manage("check", env=subprocess_env(**overrides)), variable)


def test_check__database_url_without_secret__secret_required(subprocess_env):
    result = manage("check", env=subprocess_env(HIVE_SECRET_KEY=""))
    _assert_config_error(result, "HIVE_SECRET_KEY")
    assert "must be set when a database URL is given" in result.stderr


def test_check__data_dir_below_a_file__cannot_be_created(subprocess_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _assert_config_error(manage("check", env=subprocess_env(HIVE_DATA_DIR=str(blocker / "data"))), "HIVE_DATA_DIR")
    _assert_config_error(manage("check", env=subprocess_env(HIVE_DATA_DIR=str(blocker))), "HIVE_DATA_DIR")


def test_check__data_dir_exists_but_is_read_only__refused(subprocess_env):
    # /proc exists for everyone and refuses new files even for root, who passes chmod-based checks.
    result = manage("check", env=subprocess_env(HIVE_DATA_DIR="/proc"))
    _assert_config_error(result, "HIVE_DATA_DIR")
    assert "not a writable folder" in result.stderr


def test_check__good_values__no_issues(subprocess_env):
    result = manage(
        "check",
        env=subprocess_env(
            HIVE_DEBUG="true",
            HIVE_BIND="0.0.0.0:8080",
            HIVE_ALLOWED_HOSTS="hive.example.com, localhost",
            HIVE_ADMIN_PASSWORD="correct-horse-battery",
            HIVE_TIME_ZONE="America/Sao_Paulo",
            HIVE_LOG_LEVEL="warning",
            HIVE_CSRF_TRUSTED_ORIGINS="https://hive.example.com",
        ),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_check_deploy__production_settings__reports_nothing(subprocess_env, backend, tmp_path):
    overrides = {
        "HIVE_DEBUG": "false",
        "HIVE_SECRET_KEY": random_secret(),
        "HIVE_HTTPS": None,  # unset: HTTPS hardening follows DEBUG=false
        "HIVE_TESTING": None,  # the test-only relaxations must not hide a deploy warning
        "HIVE_ALLOWED_HOSTS": "hive.example.com",
    }
    if backend == "postgresql":
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL")
        overrides["HIVE_DATABASE_URL"] = postgres_url(server_params(), connection.settings_dict["NAME"])
    else:
        overrides["HIVE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=subprocess_env(**overrides))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout + result.stderr


def _gunicorn_check_config(env: dict[str, str]):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.run(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--check-config", "hive_portal.wsgi"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "overrides"),
    [
        ("HIVE_WORKERS", {"HIVE_WORKERS": "lots"}),
        ("HIVE_WORKER_TIMEOUT", {"HIVE_WORKER_TIMEOUT": "0"}),
        ("HIVE_DEBUG", {"HIVE_DEBUG": "maybe"}),  # raised by the settings, through wsgi.py
    ],
)
def test_gunicorn__bad_value__one_sentence_naming_the_variable(subprocess_env, variable, overrides):
    _assert_config_error(_gunicorn_check_config(subprocess_env(**overrides)), variable)


KEEPALIVES_IN_SUBPROCESS = (
    "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
    "print(o['keepalives'], o['keepalives_idle'], o['keepalives_interval'], o['keepalives_count'])"
)


def test_database__tcp_keepalives_by_default__the_url_may_change_them(subprocess_env):
    # The LISTEN connections sit idle between publishes: a firewall that forgot one would leave a node serving
    # its cache for good (README, "Several nodes").
    url = "postgresql://hive@db.example.com:5432/hive"
    default = manage_ok("shell", "-c", KEEPALIVES_IN_SUBPROCESS, env=subprocess_env(HIVE_DATABASE_URL=url))
    assert default.stdout.strip().splitlines()[-1].split() == ["1", "30", "10", "3"]
    tuned = manage_ok(
        "shell", "-c", KEEPALIVES_IN_SUBPROCESS, env=subprocess_env(HIVE_DATABASE_URL=url + "?keepalives_idle=5")
    )
    assert tuned.stdout.strip().splitlines()[-1].split() == ["1", "5", "10", "3"]


def test_replica_urls__one_database_each__primary_options_and_pool__no_test_database(subprocess_env):
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'aliases': s.HIVE_REPLICA_ALIASES, 'routers': s.DATABASE_ROUTERS, "
        "'lag': s.HIVE_REPLICA_MAX_LAG, 'ryw': s.HIVE_READ_YOUR_WRITES_SECONDS, "
        "'dbs': {k: {'HOST': v['HOST'], 'PORT': v['PORT'], 'NAME': v['NAME'], 'TEST': v.get('TEST'), "
        "'OPTIONS': v['OPTIONS']} for k, v in s.DATABASES.items()}}))"
    )
    env = subprocess_env(
        HIVE_DATABASE_URL="postgresql://hive:pw@db.example.com:5432/hive",
        HIVE_DATABASE_REPLICA_URLS=(
            " postgresql://hive:pw@r1.example.com:5432/hive?sslmode=require&keepalives_idle=5 ,"
            " postgresql://hive@%2Frun%2Fpg:5433/hive,"
        ),
        HIVE_REPLICA_MAX_LAG="3",
        HIVE_DB_POOL_MAX="4",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "hive_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import json

    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config["aliases"] == ["replica_1", "replica_2"]
    assert config["routers"][-1] == "hive_portal.routers.ReplicaRouter"
    assert config["lag"] == 3 and config["ryw"] == 4  # read your writes: at least the lag limit + 1 s by default
    primary, first, second = (config["dbs"][k] for k in ("default", "replica_1", "replica_2"))
    assert (first["HOST"], first["PORT"]) == ("r1.example.com", 5432)
    assert (second["HOST"], second["PORT"]) == ("/run/pg", 5433)
    # The primary's options (session settings, pool, keepalives) unless the replica's URL gives its own.
    assert second["OPTIONS"] == primary["OPTIONS"]
    assert first["OPTIONS"] == {**primary["OPTIONS"], "sslmode": "require", "keepalives_idle": 5}
    for replica in (first, second):
        assert replica["OPTIONS"]["pool"]["max_size"] == 4
        assert replica["TEST"]["MIRROR"] == "default"
