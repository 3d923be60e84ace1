"""The application role serves but cannot alter or erase history: it may append to and read the audit
trail, and change component rows the triggers allow, but not UPDATE/DELETE/TRUNCATE the trail, disable a
trigger or turn triggers off for its session."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.services import audit_record
from hive_portal.db_roles import grant_application_role

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

ROLE = "hive_app_under_test"


@pytest.fixture
def as_app_role():
    """Run SQL as a freshly granted application role (created in the test's transaction, rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{ROLE}" NOLOGIN NOSUPERUSER')
    grant_application_role(ROLE)

    def run(sql, params=None):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{ROLE}"')
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    return run


def test_app_role__appends_to_and_reads_the_audit_trail(as_app_role):
    as_app_role(
        "INSERT INTO version_history (action, component_type, component_id, actor_name, created_at, reason, diff,"
        " previous_hash, row_hash) VALUES ('updated', 'knowledge', 'k', 'app', now(), '', '{}', '', '')"
    )
    assert as_app_role("SELECT count(*) FROM version_history WHERE actor_name = 'app'") == [(1,)]


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE version_history SET reason = 'x'", "permission denied"),
        ("DELETE FROM version_history", "permission denied"),
        ("TRUNCATE version_history", "permission denied"),
        ("ALTER TABLE version_history DISABLE TRIGGER version_history_no_update_delete", "must be owner"),
        ("ALTER TABLE component_versions DISABLE TRIGGER component_versions_immutable", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("DROP TRIGGER version_history_chain ON version_history", "must be owner"),
        ("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())", "permission denied"),
    ],
)
def test_app_role__cannot_rewrite_history(as_app_role, sql, refusal):
    audit_record(action="updated", subject_type="knowledge", subject_id="k1", actor="alice", reason="r")
    with pytest.raises(DatabaseError, match=refusal):
        as_app_role(sql)


def test_app_role__serves_the_portal_tables(as_app_role, make_agent):
    make_agent("cards")
    assert as_app_role("SELECT count(*) FROM agents WHERE agent_id = 'cards'") == [(1,)]
    as_app_role("UPDATE agents SET name = 'Renamed' WHERE agent_id = 'cards'")
    assert as_app_role("SELECT name FROM agents WHERE agent_id = 'cards'") == [("Renamed",)]


@pytest.mark.django_db(transaction=True)
def test_app_role__makes_a_metric_month_through_the_function_only():
    """The daily partition job runs as the application role: it may make a month of a metric table through
    ``hive_add_month_partition`` (which runs as the owner) and nothing else of the kind. The role is created and
    granted in a committed transaction of its own: a transaction holding the grants' catalog locks while it waits
    for the table lock would deadlock with any concurrent writer of the metric table."""
    role = "hive_app_partitions"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER')
    grant_application_role(role)

    def run(sql):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else None

    try:
        assert run("SELECT hive_add_month_partition('agent_metrics', '2033-02-01T00:00:00Z')") == [(True,)]
        assert run("SELECT hive_add_month_partition('agent_metrics', '2033-02-01T00:00:00Z')") == [(False,)]
        with pytest.raises(DatabaseError, match="not a partitioned metric table"):
            run("SELECT hive_add_month_partition('version_history', '2033-02-01T00:00:00Z')")
        with pytest.raises(DatabaseError, match="not the first instant of a month"):
            run("SELECT hive_add_month_partition('agent_metrics', '2033-02-03T00:00:00Z')")
        with pytest.raises(DatabaseError, match="permission denied"):
            run(
                "CREATE TABLE agent_metrics_p203303 PARTITION OF agent_metrics FOR VALUES FROM ('2033-03-01') TO ('2033-04-01')"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS agent_metrics_p203302")
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def test_app_role__missing__nothing_granted_no_error():
    grant_application_role("no_such_role_here")


def test_serving_role_check__superuser_or_owner_is_reported_app_role_is_not(as_app_role):
    from hive_portal.db_roles import serving_role_problems

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        me = cursor.fetchone()[0]
    problems = serving_role_problems()  # the test session connects as the superuser that owns everything
    assert any("superuser" in p for p in problems) and any("owner of the audit table" in p for p in problems)
    assert all(me in p for p in problems)
    assert serving_role_problems(role="no_such_role_here") == []
    assert serving_role_problems(role="hive_app") == []  # created by the embedded setup, owns nothing
