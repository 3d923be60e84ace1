"""“Add as test case” on an Agno run: rows written in Agno 3.1's own shape (``agno.db.utils.build_single_run_row``
over real ``RunOutput``/``TeamRunOutput`` objects), a confirmation page, a case for the run's agent or team; Agno's
tables are only read."""

from __future__ import annotations

import json

import pytest
from agno.db.utils import build_single_run_row
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunInput, TeamRunOutput
from django.db import connection

from evaluations.models import EvalCase
from evaluations.services import case_create
from monitoring.models import AgnoRun
from monitoring.selectors import agno_run_case
from tests.monitoring.agno_tables import drop_agno

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

RUNS = "/admin/monitoring/agnorun/"
CARD = "Perdi meu cartão, preciso bloquear agora"


def store(run, *, session_id: str = "s-1", run_index: int = 0) -> None:
    """Write ``run`` into agno.agno_runs as Agno's PostgresDb.upsert_run builds the row."""
    row = build_single_run_row(run, session_id=session_id, user_id="u-1", run_index=run_index)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agno.agno_sessions (session_id, session_type, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            [session_id, row["run_type"], row["created_at"]],
        )
        columns = [c for c in row if c != "run_data"]
        cursor.execute(
            f"INSERT INTO agno.agno_runs ({', '.join(columns)}, run_data) "
            f"VALUES ({', '.join(['%s'] * len(columns))}, %s::jsonb)",
            [*(row[c] for c in columns), json.dumps(row["run_data"])],
        )


def member_run(agent_id: str = "cards", *, run_id: str = "r-member") -> RunOutput:
    return RunOutput(
        run_id=run_id, agent_id=agent_id, session_id="s-1", parent_run_id="r-team", content="Bloqueei o cartão.",
        input=RunInput(input_content=CARD), status=RunStatus.completed,
    )  # fmt: skip


def team_run(*, members: list[RunOutput]) -> TeamRunOutput:
    return TeamRunOutput(
        run_id="r-team", team_id="router", session_id="s-1", content="Bloqueei o cartão.",
        input=TeamRunInput(input_content=CARD), member_responses=members, status=RunStatus.completed,
        messages=[Message(role="user", content=CARD)],
    )  # fmt: skip


@pytest.fixture
def router(make_team, agno_schema):
    return make_team("router")


def test_add_as_test_case__team_run__case_for_the_team_routed_to_the_member_that_answered(client, editor, router):
    store(team_run(members=[member_run("cards")]))
    client.force_login(editor)
    listing = client.get(RUNS).content.decode()
    assert f'href="{RUNS}r-team/add-test-case/"' in listing

    page = client.get(f"{RUNS}r-team/add-test-case/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial == {"name": "Perdi meu cartão, preciso bloquear agora", "expected_member": "cards"}

    done = client.post(
        f"{RUNS}r-team/add-test-case/", {"name": "Cartão perdido", "critical": "on", "expected_member": "cards"}
    )

    case = EvalCase.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/admin/evaluations/evalcase/{case.pk}/change/"
    assert (case.component_type, case.component_id, case.critical) == ("team", "router", True)
    assert case.name == "Cartão perdido"
    assert (case.message, case.expected_member, case.must_contain) == (CARD, "cards", [])
    assert case.source == "Agno run r-team" and case.created_by_name == "eddie-editor"
    assert AgnoRun.objects.get(pk="r-team").run_data["content"] == "Bloqueei o cartão."  # read, never written
    again = client.get(f"{RUNS}r-team/add-test-case/").content.decode()
    assert (
        f'Already made from this run: <a href="/admin/evaluations/evalcase/{case.pk}/change/">Cartão perdido</a>'
        in again
    )


def test_agno_run_case__member_responses_not_stored__member_read_from_the_member_run_row(router):
    # Agno 3 without store_member_responses: the team's row has no member responses; the member's run is a row
    # of its own, pointing at the team run.
    store(team_run(members=[]))
    store(member_run("pix"), run_index=1)
    found = agno_run_case(AgnoRun.objects.get(pk="r-team"))
    assert (found.component_type, found.component_id, found.expected_member) == ("team", "router", "pix")


def test_agno_run_case__agent_run_with_a_conversation__message_and_earlier_messages(router):
    history = [Message(role="user", content="oi"), Message(role="assistant", content="Olá!")]
    history.append(Message(role="user", content=CARD))
    store(RunOutput(run_id="r-agent", agent_id="cards", session_id="s-1", input=RunInput(input_content=history)))
    found = agno_run_case(AgnoRun.objects.get(pk="r-agent"))
    assert (found.component_type, found.component_id, found.expected_member) == ("agent", "cards", "")
    assert found.message == CARD
    assert found.context == [{"role": "user", "content": "oi"}, {"role": "assistant", "content": "Olá!"}]


def test_add_as_test_case__agent_run__no_route_field_and_name_numbered(client, editor, router):
    case_create(actor="t", component_type="agent", component_id="cards", name=CARD, message=CARD)
    store(RunOutput(run_id="r-agent", agent_id="cards", session_id="s-1", input=RunInput(input_content=CARD)))
    client.force_login(editor)

    page = client.get(f"{RUNS}r-agent/add-test-case/")
    assert "expected_member" not in page.context["form"].fields
    client.post(f"{RUNS}r-agent/add-test-case/", {"name": page.context["form"].initial["name"]})

    case = EvalCase.objects.get(source="Agno run r-agent")
    assert (case.component_type, case.name, case.critical, case.expected_member) == ("agent", f"{CARD} (2)", False, "")


def test_add_as_test_case__name_taken_or_unknown_member__form_errors_and_nothing_written(client, editor, router):
    case_create(actor="t", component_type="team", component_id="router", name="Cartão", message=CARD)
    store(team_run(members=[member_run("cards")]))
    client.force_login(editor)

    taken = client.post(f"{RUNS}r-team/add-test-case/", {"name": "Cartão", "expected_member": "cards"})
    stranger = client.post(f"{RUNS}r-team/add-test-case/", {"name": "Novo", "expected_member": "nobody"})

    assert taken.status_code == 200
    assert taken.context["form"].non_field_errors() == ["This component already has a test case with this name."]
    assert stranger.context["form"].errors == {"expected_member": ["There is no agent “nobody”."]}
    assert EvalCase.objects.count() == 1


def test_add_as_test_case__run_of_an_unknown_agent_or_without_text__said_on_the_page(client, editor, router):
    store(RunOutput(run_id="r-ghost", agent_id="ghost", session_id="s-1", input=RunInput(input_content="oi")))
    store(RunOutput(run_id="r-empty", agent_id="cards", session_id="s-1", input=None), run_index=1)
    client.force_login(editor)

    ghost = client.post(f"{RUNS}r-ghost/add-test-case/", {"name": "Oi"})
    empty = client.get(f"{RUNS}r-empty/add-test-case/")

    assert ghost.status_code == 200 and ghost.context["form"].non_field_errors() == ["There is no agent “ghost”."]
    assert "stored no text input" in empty.content.decode()
    assert client.post(f"{RUNS}r-empty/add-test-case/", {"name": "x"}).status_code == 200
    assert not EvalCase.objects.exists()


def test_add_as_test_case__viewer__no_link_and_403(client, viewer, router):
    store(team_run(members=[member_run("cards")]))
    client.force_login(viewer)
    listing = client.get(RUNS)
    assert listing.status_code == 200 and "add-test-case" not in listing.content.decode()
    assert client.get(f"{RUNS}r-team/add-test-case/").status_code == 403
    assert client.post(f"{RUNS}r-team/add-test-case/", {"name": "x"}).status_code == 403
    assert not EvalCase.objects.exists()


def test_add_as_test_case__unknown_run_or_no_agno_tables__no_500(client, editor, router):
    client.force_login(editor)
    missing = client.get(f"{RUNS}r-nope/add-test-case/", follow=True)
    assert missing.status_code == 200 and "doesn’t exist" in missing.content.decode()
    drop_agno()
    gone = client.get(f"{RUNS}r-nope/add-test-case/")
    assert gone.status_code == 200 and "does not exist in this database yet" in gone.content.decode()
