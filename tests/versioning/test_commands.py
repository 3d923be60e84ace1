"""The publish and rollback commands, against the real database."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditAction, AuditRecord
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "automagik"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- publish_component / rollback_component ----------------------------------------------------


def test_publish_component__publishes_the_draft_as_the_cli_user(make_agent):
    make_agent("cards")
    out = run("publish_component", "agent", "cards", "--message", "Ship it")
    assert "Published agent cards as v1." in out
    version = component_status("agent", "cards").published
    assert version.version == 1 and version.published_by_name.startswith("cli:")
    row = AuditRecord.objects.filter(subject_id="cards", action=AuditAction.PUBLISHED).get()
    assert row.reason == "Ship it"


def test_publish_component__errors_are_command_errors(make_agent):
    make_agent("cards", publish=True)
    with pytest.raises(CommandError, match="There is no agent “nope”"):
        run("publish_component", "agent", "nope", "-m", "x")
    with pytest.raises(CommandError, match="was not published: There is no draft"):
        run("publish_component", "agent", "cards", "-m", "x")
    with pytest.raises(CommandError, match="--message"):
        run("publish_component", "agent", "cards")


def test_rollback_component__publishes_the_old_configuration_as_a_new_version(make_agent):
    from agents.services import agent_update

    agent = make_agent("cards", publish=True)
    agent_update(agent=agent, actor="t", note="v2", instructions=["Novo texto"])
    component_publish(kind=get_kind("agent"), component_id="cards", actor="t")

    out = run("rollback_component", "agent", "cards", "--to", "v1", "--message", "v2 confused customers")

    assert "Rolled agent cards back to v1's configuration: now v3." in out
    versions = {v.version: v for v in ComponentVersion.objects.filter(component_id="cards")}
    assert versions[3].status == "published" and versions[3].content_hash == versions[1].content_hash
    assert versions[3].change_note == "v2 confused customers"
    with pytest.raises(CommandError, match="has no version 9"):
        run("rollback_component", "agent", "cards", "--to", "9", "-m", "x")
