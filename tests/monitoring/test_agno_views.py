"""Read-only admin views of Agno's tables, with and without the ``agno`` schema.

The tables are created with raw SQL in Agno's shape (``tests/monitoring/agno_tables.py``, the ``agno_schema``
fixture), inside the test's transaction of the test database, and dropped again afterwards.
"""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection

from monitoring.agno_admin import agno_sessions_url
from monitoring.models import AgnoMemory, AgnoRun, AgnoSession
from tests.monitoring.agno_tables import drop_agno

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/monitoring/agnosession/"
RUNS = "/admin/monitoring/agnorun/"
MEMORIES = "/admin/monitoring/agnomemory/"

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC


@pytest.fixture
def agno_data(agno_schema):
    """1,000 sessions (every third of a team), three runs for each of the first 10, two memories."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO agno.agno_sessions (session_id, session_type, agent_id, team_id, user_id, created_at, session_data)
            SELECT 's-' || lpad(g::text, 4, '0'),
                   CASE WHEN g %% 3 = 0 THEN 'team' ELSE 'agent' END,
                   CASE WHEN g %% 3 = 0 THEN NULL ELSE 'pix-specialist' END,
                   CASE WHEN g %% 3 = 0 THEN 'routing-team' ELSE NULL END,
                   'user-' || (g %% 17), %s + g, '{"session_state": {}}'::jsonb
            FROM generate_series(1, 1000) AS g
            """,
            [T0],
        )
        cursor.execute(
            """
            INSERT INTO agno.agno_runs (run_id, session_id, run_type, agent_id, status, run_index, run_data, created_at)
            SELECT 'r-' || s || '-' || i, 's-' || lpad(s::text, 4, '0'), 'agent', 'pix-specialist',
                   CASE WHEN i = 3 THEN 'ERROR' ELSE 'COMPLETED' END, i, '{"content": "oi"}'::jsonb, %s + s * 10 + i
            FROM generate_series(1, 10) AS s, generate_series(1, 3) AS i
            """,
            [T0],
        )
        cursor.execute(
            """
            INSERT INTO agno.agno_memories (memory_id, memory, input, agent_id, user_id, topics, created_at, updated_at)
            VALUES ('m-1', %s, 'moro em Recife', 'pix-specialist', 'user-1', '["address"]', %s, %s),
                   ('m-2', %s, NULL, NULL, 'user-2', NULL, %s, %s)
            """,
            [json.dumps({"memory": "O cliente mora em Recife"}), T0, T0 + 5, json.dumps("prefere Pix"), T0, T0 + 9],
        )


@pytest.fixture
def viewer(db):
    user = User.objects.create_user("support", password="x" * 12, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="monitoring", codename__startswith="view_agno")
    )
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password="x" * 12)


@pytest.mark.postgres_only
def test_sessions__list_type_owner_user_created_runs(client, viewer, agno_data, django_assert_max_num_queries):
    client.force_login(viewer)
    with django_assert_max_num_queries(10):
        response = client.get(SESSIONS)

    assert response.status_code == 200
    html = response.content.decode()
    # newest first: s-1000 (an agent session, created T0 + 1000 = 2026-01-01 00:16:40 UTC), then s-0999 (team)
    first, second = response.context["cl"].result_list[:2]
    assert (first.session_id, first.session_type, first.agent_id, first.run_count) == (
        "s-1000",
        "agent",
        "pix-specialist",
        0,
    )
    assert (second.session_id, second.session_type, second.team_id) == ("s-0999", "team", "routing-team")
    assert "team <code>routing-team</code>" in html and "agent <code>pix-specialist</code>" in html
    assert "Jan. 1, 2026, 12:16 a.m." in html
    assert response.context["cl"].result_count == 1000
    with django_assert_max_num_queries(10):
        page = client.get(SESSIONS, {"p": 10})
    last = {s.session_id: s.run_count for s in page.context["cl"].result_list}
    assert last["s-0001"] == 3 and last["s-0010"] == 3 and last["s-0011"] == 0
    assert f'href="{RUNS}?session=s-0001"' in page.content.decode()


@pytest.mark.postgres_only
def test_sessions__filtered_by_agent_or_team(client, viewer, agno_data):
    client.force_login(viewer)
    by_team = client.get(agno_sessions_url(team_id="routing-team"))
    assert by_team.context["cl"].result_count == 333
    by_agent = client.get(agno_sessions_url(agent_id="pix-specialist"))
    assert by_agent.context["cl"].result_count == 667
    by_type = client.get(SESSIONS, {"session_type__exact": "team"})
    assert by_type.context["cl"].result_count == 333


@pytest.mark.postgres_only
def test_session_detail__read_only(client, viewer, agno_data):
    client.force_login(viewer)
    response = client.get(f"{SESSIONS}s-0001/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "s-0001" in html and 'name="_save"' not in html
    assert client.post(f"{SESSIONS}s-0001/change/", {"session_type": "x"}).status_code == 403
    assert client.post(f"{SESSIONS}s-0001/delete/").status_code == 403
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_type FROM agno.agno_sessions WHERE session_id = 's-0001'")
        assert cursor.fetchone()[0] == "agent"


@pytest.mark.postgres_only
def test_runs__list_filtered_by_session(client, viewer, agno_data, django_assert_max_num_queries):
    client.force_login(viewer)
    with django_assert_max_num_queries(10):
        response = client.get(RUNS, {"session": "s-0001"})
    assert response.status_code == 200
    runs = response.context["cl"].result_list
    assert [r.run_id for r in runs] == ["r-1-3", "r-1-2", "r-1-1"]
    assert runs[0].status == "ERROR"
    assert f'href="{SESSIONS}s-0001/change/"' in response.content.decode()
    assert client.get(f"{RUNS}r-1-1/change/").status_code == 200


@pytest.mark.postgres_only
def test_memories__list(client, viewer, agno_data):
    client.force_login(viewer)
    response = client.get(MEMORIES)
    html = response.content.decode()
    assert response.status_code == 200
    assert [m.memory_id for m in response.context["cl"].result_list] == ["m-2", "m-1"]
    assert "O cliente mora em Recife" in html and "prefere Pix" in html and "address" in html


@pytest.mark.postgres_only
def test_agno_admin__no_add_change_delete_even_for_superuser(client, superuser, agno_data):
    client.force_login(superuser)
    for url in (SESSIONS, RUNS, MEMORIES):
        html = client.get(url).content.decode()
        assert f"{url}add/" not in html
        assert 'name="action"' not in html  # no bulk actions, not even delete
        assert client.get(f"{url}add/").status_code == 403
    index = client.get("/admin/").content.decode()
    assert SESSIONS in index


@pytest.mark.postgres_only
def test_agno_models__refuse_writes(agno_data):
    session = AgnoSession.objects.get(pk="s-0001")
    with pytest.raises(PermissionError):
        session.save()
    with pytest.raises(PermissionError):
        session.delete()
    with pytest.raises(PermissionError):
        AgnoRun.objects.first().save()
    with pytest.raises(PermissionError):
        AgnoMemory.objects.first().delete()


@pytest.mark.postgres_only
def test_sessions__runs_table_missing__lists_sessions_without_counts(client, viewer, agno_schema):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE agno.agno_runs")
        cursor.execute(
            "INSERT INTO agno.agno_sessions (session_id, session_type, created_at) VALUES ('s-x', 'agent', %s)", [T0]
        )
    client.force_login(viewer)
    response = client.get(SESSIONS)
    assert response.status_code == 200
    assert response.context["cl"].result_list[0].session_id == "s-x"
    assert "does not exist" in client.get(RUNS).content.decode()


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize("url", [SESSIONS, RUNS, MEMORIES])
def test_agno_views__without_agno_schema__say_so(client, viewer, url):
    drop_agno()
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "does not exist in this database yet" in html
    assert "agno.agno_" in html
    assert client.get(f"{url}anything/change/").status_code == 200  # the same explanation, not a 500


@pytest.mark.sqlite_smoke
def test_agno_views__need_view_permission(client, db):
    clerk = User.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    assert client.get(SESSIONS).status_code == 403


@pytest.mark.sqlite_smoke
def test_agno_models__unmanaged_and_never_migrated():
    from hive_portal.routers import AgnoSchemaRouter

    for model in (AgnoSession, AgnoRun, AgnoMemory):
        assert model._meta.managed is False
        assert AgnoSchemaRouter().allow_migrate("default", "monitoring", model_name=model._meta.model_name) is False


@pytest.mark.postgres_only
def test_monitoring_migrations__no_statement_touches_agno():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sqlmigrate", "monitoring", "0002", stdout=out)
    statements = [line for line in out.getvalue().splitlines() if not line.startswith("--")]
    assert statements and not any("agno" in line.lower() for line in statements)
