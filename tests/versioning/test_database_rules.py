"""Rules the database itself enforces: append-only audit trail, immutable published versions,
at most one published version and one draft per component."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from audit.services import audit_record
from versioning.models import ComponentVersion

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def _raw(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE version_history SET reason = 'rewritten'",
        "DELETE FROM version_history",
        "TRUNCATE version_history",
    ],
)
def test_audit_trail__refuses_update_delete_truncate(sql):
    audit_record(action="updated", subject_type="knowledge", subject_id="k1", actor="alice", reason="r")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM version_history")
        assert cursor.fetchall() == [("r",)]


def test_published_version__configuration_cannot_be_changed(make_agent):
    make_agent("cards", publish=True)
    with pytest.raises(DatabaseError, match="immutable"):
        _raw("UPDATE component_versions SET config = '{}'::jsonb WHERE component_id = 'cards'")
    with pytest.raises(DatabaseError, match="cannot be deleted"):
        _raw("DELETE FROM component_versions WHERE component_id = 'cards'")


def test_published_version__may_only_move_to_archived(make_agent):
    make_agent("cards", publish=True)
    _raw("UPDATE component_versions SET status = 'archived' WHERE component_id = 'cards'")
    with pytest.raises(DatabaseError, match="immutable"):
        _raw("UPDATE component_versions SET status = 'published' WHERE component_id = 'cards'")


@pytest.mark.parametrize(
    "assignment",
    [
        "published_by_name = 'someone else'",
        "created_by_name = 'someone else'",
        "review_state = 'approved'",
        "review_comment = 'rewritten'",
        "edited_by_name = 'x'",
        "base_version = 99",
        "published_at = now() - interval '1 day'",
    ],
)
def test_published_version__every_column_is_immutable(make_agent, assignment):
    make_agent("cards", publish=True)
    with pytest.raises(DatabaseError, match="immutable"):
        _raw(f"UPDATE component_versions SET {assignment} WHERE component_id = 'cards'")


def test_archived_version__nothing_changes_not_even_the_timestamp(make_agent):
    make_agent("cards", publish=True)
    _raw("UPDATE component_versions SET status = 'archived', updated_at = now() WHERE component_id = 'cards'")
    with pytest.raises(DatabaseError, match="immutable"):
        _raw("UPDATE component_versions SET updated_at = now() + interval '1 hour' WHERE component_id = 'cards'")
    with pytest.raises(DatabaseError, match="immutable"):
        _raw("UPDATE component_versions SET published_by_name = 'x' WHERE component_id = 'cards'")


def test_two_published_versions__are_refused(make_agent):
    make_agent("cards", publish=True)
    v = ComponentVersion.objects.get(component_id="cards")
    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentVersion.objects.create(
            component_type="agent", component_id="cards", version=2, config={}, content_hash="0" * 64,
            status="published", change_note="dup", published_at=v.published_at,
        )  # fmt: skip


def test_two_drafts__are_refused(make_agent):
    make_agent("cards")
    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentVersion.objects.create(
            component_type="agent", component_id="cards", version=2, config={}, content_hash="0" * 64,
            status="draft", change_note="dup",
        )  # fmt: skip


def test_same_version_number_twice__is_refused(make_agent):
    make_agent("cards")
    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentVersion.objects.create(
            component_type="agent", component_id="cards", version=1, config={}, content_hash="0" * 64,
            status="archived", change_note="dup",
        )  # fmt: skip


def test_change_note__is_required_by_the_database(make_agent):
    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentVersion.objects.create(
            component_type="agent", component_id="x", version=1, config={}, content_hash="0" * 64, change_note=""
        )


def test_rollout_percent_rule__its_message_in_each_language_not_a_format_error():
    """The rule's message holds percent signs: model validation formats it with %, so they are written %%."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from versioning.models import Rollout

    rollout = Rollout(percent=100)
    others = {field.name for field in Rollout._meta.fields if field.name != "percent"}
    with pytest.raises(ValidationError) as refused:
        rollout.validate_constraints(exclude=others)
    assert refused.value.messages == ["A rollout serves the candidate to 1–99% of sessions; 100% is a promotion."]
    with translation.override("pt-br"), pytest.raises(ValidationError) as recusado:
        rollout.validate_constraints(exclude=others)
    assert "1–99%" in recusado.value.messages[0] and "rollout serves" not in recusado.value.messages[0]
