"""“Add as test case” on the routing decision list: a confirmation page (which route team), then one case per
decision for that team, each expecting the member the decision went to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditRecord
from evaluations.models import EvalCase
from evaluations.services import case_create
from monitoring.models import RoutingDecision
from monitoring.services import routing_decision_case_create

pytestmark = pytest.mark.django_db

DECISIONS = "/admin/monitoring/routingdecision/"
CARD = "Perdi meu cartão ontem à noite e preciso bloquear agora"


@pytest.fixture
def router(make_team):
    """The route team “router” with members cards and pix; an agent “credit” in no team."""
    team = make_team("router")
    from agents.services import agent_create

    agent_create(actor="setup", note="n", agent_id="credit", name="Credit", model_provider="openai", model_name="x")
    return team


def decide(query: str, routed_to: str, minute: int = 0) -> RoutingDecision:
    return RoutingDecision.objects.create(
        session_id=f"s-{minute}", query=query, routed_to=routed_to, confidence_score=0.9,
        created_at=datetime(2026, 1, 5, 14, minute, tzinfo=UTC),
    )  # fmt: skip


def act(client, decisions, **extra):
    data = {"action": "add_as_test_case", "_selected_action": [d.pk for d in decisions], **extra}
    return client.post(DECISIONS, data, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_add_as_test_case__confirmed__one_case_per_decision_expecting_its_member(client, editor, router):
    card, pix = decide(CARD, "cards", 1), decide("Meu pix não caiu", "pix", 2)
    client.force_login(editor)
    assert 'value="add_as_test_case"' in client.get(DECISIONS).content.decode()

    page = client.post(DECISIONS, {"action": "add_as_test_case", "_selected_action": [card.pk, pix.pk], "index": 0})
    assert page.status_code == 200 and not EvalCase.objects.exists()
    html = page.content.decode()
    assert CARD in html and 'value="router" selected' in html  # the only route team holding cards and pix

    done = act(client, [card, pix], post="yes", team="router")

    cases = {c.expected_member: c for c in EvalCase.objects.all()}
    assert set(cases) == {"cards", "pix"}
    case = cases["cards"]
    assert (case.component_type, case.component_id, case.message, case.critical) == ("team", "router", CARD, False)
    assert case.name == "Perdi meu cartão ontem à noite e preciso bloquear agora"
    assert case.source == f"routing decision #{card.pk} (2026-01-05 14:01:00 UTC)"
    assert case.created_by_name == "eddie-editor" and case.must_contain == [] and case.is_active
    assert cases["pix"].name == "Meu pix não caiu"
    assert any(text.startswith("Added (2 of team router)") for text in texts(done))
    audit = AuditRecord.objects.filter(subject_type="test_case", action="created")
    assert audit.count() == 2 and len({r.batch_id for r in audit}) == 1


def test_add_as_test_case__same_message_again__names_numbered_and_a_decision_is_added_once(client, editor, router):
    case_create(
        actor="t", component_type="team", component_id="router", name="Meu pix não caiu", message="Meu pix não caiu"
    )
    first, second = decide("Meu pix não caiu", "pix", 1), decide("Meu  pix\nnão caiu", "pix", 2)
    client.force_login(editor)

    act(client, [first, second], post="yes", team="router")
    again = act(client, [first], post="yes", team="router")

    names = sorted(EvalCase.objects.values_list("name", flat=True))
    assert names == ["Meu pix não caiu", "Meu pix não caiu (2)", "Meu pix não caiu (3)"]
    assert any(text.startswith("Already test cases, left as they are (1 of team router)") for text in texts(again))


def test_add_as_test_case__decision_that_cannot_be_a_case__message_names_it_and_nothing_is_written(
    client, editor, router, make_team
):
    make_team("desk", members=[], mode="route")
    to_team, to_loner = decide("Quero falar", "desk", 1), decide("Quero crédito", "credit", 2)
    client.force_login(editor)

    done = act(client, [to_team, to_loner], post="yes", team="router")

    assert not EvalCase.objects.exists() and not AuditRecord.objects.filter(subject_type="test_case").exists()
    assert texts(done) == [
        f"Routing decision #{to_team.pk} (Quero falar) was not added: It went to “desk”, which is not an agent of "
        "the portal: a test case expects a member agent.",
        f"Routing decision #{to_loner.pk} (Quero crédito) was not added: It went to credit, which is a member of "
        "no team.",
    ]


def test_add_as_test_case__bad_and_good_decisions__the_good_ones_are_added(client, editor, router, make_team):
    make_team("other", members=[], mode="route")
    bad, good = decide("Quero crédito", "credit", 1), decide(CARD, "cards", 2)
    client.force_login(editor)

    done = act(client, [bad, good], post="yes", team="router")

    assert list(EvalCase.objects.values_list("expected_member", flat=True)) == ["cards"]
    assert any(f"#{bad.pk}" in text and "member of no team" in text for text in texts(done))


def test_add_as_test_case__member_of_another_team_only__refused(router, make_team, make_agent):
    make_team("loans", members=[make_agent("loans-agent")], mode="route")
    decision = decide("Empréstimo", "loans-agent")
    with pytest.raises(ValidationError, match="not a member of team router"):
        routing_decision_case_create(decision=decision, team_id="router", actor="t")
    assert not EvalCase.objects.exists()


def test_add_as_test_case__team_not_in_route_mode__refused_on_the_page(client, editor, router, make_team):
    make_team("coord", members=[], mode="coordinate")
    decision = decide(CARD, "cards")
    client.force_login(editor)

    page = act(client, [decision], post="yes", team="coord")

    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert not EvalCase.objects.exists()


def test_add_as_test_case__viewer__action_absent_and_refused(client, viewer, router):
    decision = decide(CARD, "cards")
    client.force_login(viewer)
    listing = client.get(DECISIONS)
    assert listing.status_code == 200 and 'value="add_as_test_case"' not in listing.content.decode()

    forged = act(client, [decision], post="yes", team="router")
    act(client, [decision], index=0)

    assert forged.status_code == 200 and texts(forged) == []  # without actions the POST just lists
    assert not EvalCase.objects.exists()


def test_add_as_test_case__too_many_at_once__refused(client, editor, router, monkeypatch):
    from monitoring.admin import RoutingDecisionAdmin

    monkeypatch.setattr(RoutingDecisionAdmin, "max_cases_at_once", 2)
    decisions = [decide(f"Pergunta {n}", "cards", n) for n in range(3)]
    client.force_login(editor)

    done = act(client, decisions, post="yes", team="router")

    assert "Choose at most 2 decisions at a time." in texts(done) and not EvalCase.objects.exists()
