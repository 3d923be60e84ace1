"""``GET /health/``: database reachable, pgvector version, schemas, masked URL; 200 healthy, 503 otherwise."""

from __future__ import annotations

import json
import textwrap

import pytest
from django.db import connection

from hive_portal import health

from .conftest import manage_ok


@pytest.fixture
def staff_client(client, django_user_model):
    """Details are for staff (or a key): the tests that read them log in."""
    user = django_user_model.objects.create_user("ops", password="x-not-used-123", is_staff=True)
    client.force_login(user)
    return client


@pytest.mark.sqlite_smoke
@pytest.mark.django_db
def test_health__database_up__200_ok(staff_client):
    response = staff_client.get("/health/")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["database"]["vendor"] == connection.vendor
    password = connection.settings_dict.get("PASSWORD")
    if password:
        assert password not in response.content.decode()
    if connection.vendor == "postgresql":
        assert tuple(int(p) for p in body["pgvector"].split(".")[:2]) >= (0, 8)
        assert body["schemas"]["hive"] is True
        assert "warning" not in body  # the embedded server ships pgvector 0.8.6
        assert body["database"]["url"].startswith("postgresql://")
    else:
        assert body["pgvector"] is None
        assert "SQLite" in body["warning"]
        assert body["database"]["url"] == f"sqlite:///{connection.settings_dict['NAME']}"


@pytest.mark.sqlite_smoke
@pytest.mark.django_db
def test_health__post__not_allowed(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_health__agno_schema__reported_absent_then_present(staff_client):
    assert staff_client.get("/health/").json()["schemas"]["agno"] is False
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA agno")  # rolled back with the test's transaction
    body = staff_client.get("/health/").json()
    assert body["schemas"] == {"hive": True, "agno": True}
    assert body["status"] == "ok"


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_health__hive_schema_missing__503(client):
    with connection.cursor() as cursor:
        cursor.execute("ALTER SCHEMA hive RENAME TO hive_moved_away")  # rolled back with the test
    response = client.get("/health/")  # sessions live in schema hive too: nobody can log in, status only
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    body, healthy = health.health_report()
    assert healthy is False
    assert body["status"] == "unavailable"
    assert body["schemas"]["hive"] is False
    assert "migrate" in body["error"]


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("version", ["0.8.0", "0.8.3"])
def test_health__pgvector_older_than_0_8_4__200_with_warning(staff_client, monkeypatch, version):
    monkeypatch.setattr(health, "pgvector_version", lambda using="default": version)
    response = staff_client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["pgvector"] == version
    assert version in body["warning"] and "0.8.4" in body["warning"]


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("version", ["0.7.4", "0.5.1"])
def test_health__pgvector_older_than_0_8__503(staff_client, monkeypatch, version):
    monkeypatch.setattr(health, "pgvector_version", lambda using="default": version)
    response = staff_client.get("/health/")
    assert response.status_code == 503
    assert "older than 0.8" in response.json()["error"]


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("version", ["0.8.4", "0.8.10", "0.9.0", "1.0.0"])
def test_health__pgvector_0_8_4_or_newer__no_warning(staff_client, monkeypatch, version):
    monkeypatch.setattr(health, "pgvector_version", lambda using="default": version)
    body = staff_client.get("/health/").json()
    assert "warning" not in body, body


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_health__pgvector_not_installed__503(staff_client, monkeypatch):
    monkeypatch.setattr(health, "pgvector_version", lambda using="default": None)
    response = staff_client.get("/health/")
    assert response.status_code == 503
    assert "pgvector" in response.json()["error"]


POSTGRES = "django.db.backends.postgresql"


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("database", "expected"),
    [
        (
            {"ENGINE": POSTGRES, "NAME": "hive", "USER": "hive", "PASSWORD": "s3cr3t:p@ss", "HOST": "db.example.com", "PORT": 5432},
            "postgresql://hive:***@db.example.com:5432/hive",
        ),
        (
            {"ENGINE": POSTGRES, "NAME": "hive", "USER": "hive", "PASSWORD": "", "HOST": "db.example.com", "PORT": ""},
            "postgresql://hive@db.example.com/hive",
        ),
        (
            {"ENGINE": POSTGRES, "NAME": "hive", "USER": "postgres", "PASSWORD": "", "HOST": "/tmp/hive data/pgdata", "PORT": 5432},
            "postgresql://postgres@%2Ftmp%2Fhive%20data%2Fpgdata:5432/hive",
        ),
        (
            {"ENGINE": POSTGRES, "NAME": "hive", "USER": "hive", "PASSWORD": "x", "HOST": "::1", "PORT": 5432},
            "postgresql://hive:***@[::1]:5432/hive",
        ),
        ({"ENGINE": "django.db.backends.sqlite3", "NAME": "/var/lib/hive/hive.sqlite3"}, "sqlite:////var/lib/hive/hive.sqlite3"),
    ],
    ids=["password", "no-password", "unix-socket", "ipv6", "sqlite"],
)  # fmt: skip
def test_masked_database_url__never_shows_the_password(database, expected):
    masked = health.masked_database_url(database)
    assert masked == expected
    if database.get("PASSWORD"):
        assert database["PASSWORD"] not in masked


HEALTH_IN_SUBPROCESS = textwrap.dedent(
    """
    import json
    from django.test import Client
    from hive_portal.health import health_report
    response = Client().get("/health/")
    keyed = Client().get("/health/", HTTP_AUTHORIZATION="Bearer hive_not_checkable_while_down")
    print(json.dumps({"status": response.status_code, "anonymous": response.json(), "keyed": keyed.json(),
                      "body": health_report()[0]}))
    """
)


@pytest.mark.sqlite_smoke
def test_health__database_unreachable__503(subprocess_env, tmp_path):
    # A real PostgreSQL URL whose server is not there: a socket folder with no server in it.
    url = f"postgresql://hive:topsecret@{str(tmp_path).replace('/', '%2F')}:5432/hive"
    env = subprocess_env(HIVE_DATABASE_URL=url, HIVE_ALLOWED_HOSTS="testserver", HIVE_DB_POOL_TIMEOUT="1")
    result = manage_ok("shell", "-c", HEALTH_IN_SUBPROCESS, env=env, timeout=60)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["anonymous"] == {"status": "unavailable"} == answer["keyed"]
    body = answer["body"]
    assert body["status"] == "unavailable"
    assert body["database"]["reachable"] is False
    assert body["database"]["error"]
    assert "topsecret" not in json.dumps(body)
    assert body["database"]["url"].startswith("postgresql://hive:***@")


@pytest.mark.sqlite_smoke
@pytest.mark.django_db
def test_health__anonymous__status_only_no_user_or_socket(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health__details_with_a_valid_key_not_with_a_wrong_one(client, api_key_factory):
    _, raw = api_key_factory("metrics:write")
    assert "database" in client.get("/health/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert client.get("/health/", HTTP_AUTHORIZATION="Bearer hive_wrong").json() == {"status": "ok"}


@pytest.mark.django_db
def test_health__non_staff_session__status_only(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("someone", password="x-not-used-123"))
    assert client.get("/health/").json() == {"status": "ok"}


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_health__no_job_worker__said_in_the_details_but_still_200(staff_client):
    response = staff_client.get("/health/")

    assert response.status_code == 200
    jobs = response.json()["jobs"]
    assert jobs["queue"] == "procrastinate"
    assert jobs["workers"] == 0
    assert "No job worker is running" in jobs["detail"]


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_health__worker_heartbeat_and_jobs__reported(staff_client):
    from common import jobs as job_queue
    from tests.common.test_jobs import record_call

    with connection.cursor() as cursor:
        cursor.execute("SELECT procrastinate_register_worker_v1()")  # what a starting worker does
    job_queue.defer(record_call, marker="waiting")

    jobs = staff_client.get("/health/").json()["jobs"]

    assert jobs["workers"] == 1
    assert jobs["last_heartbeat"] is not None
    assert jobs["queued"] == 1
    assert jobs["failed"] == 0
    assert "detail" not in jobs
