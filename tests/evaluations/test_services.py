"""The test case services: what they refuse, keyed by field, and the names new cases get."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditRecord
from evaluations.models import EvalCase
from evaluations.selectors import free_case_name
from evaluations.services import case_create, case_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_team):
    return make_team("router")


def _create(**fields):
    base = {"component_type": "team", "component_id": "router", "name": "Cartão", "message": "Perdi meu cartão"}
    return case_create(actor="t", **{**base, **fields})


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"message": ["Perdi", "meu cartão"]}, "message"),
        ({"must_contain": "bloque"}, "must_contain"),
        ({"must_not_contain": ["senha", 3]}, "must_not_contain"),
        ({"tools_not_called": [""]}, "tools_not_called"),
        ({"context": [{"role": "customer", "content": "oi"}]}, "context"),
        ({"context": [{"role": "user"}]}, "context"),
        ({"tools_called": [{"name": "card_lookup", "arguments": "1234"}]}, "tools_called"),
        ({"tools_called": ["card_lookup"]}, "tools_called"),
        ({"tool_results": ["card_lookup"]}, "tool_results"),
        ({"output_schema": {"type": "not-a-type"}}, "output_schema"),
        ({"output_schema": "object"}, "output_schema"),
        ({"critical": "yes"}, "critical"),
        ({"max_length": "short"}, "max_length"),
        ({"must_contain": ["/(/"]}, "must_contain"),
        ({"expected_member": "nobody"}, "expected_member"),
    ],
)
def test_case_create__malformed_field__refused_under_its_key_and_nothing_written(team, fields, key):
    with pytest.raises(ValidationError) as exc:
        _create(**fields)
    assert list(exc.value.message_dict) == [key]
    assert not EvalCase.objects.exists() and not AuditRecord.objects.filter(subject_type="test_case").exists()


def test_case_create__well_formed_case__stored_as_given(team):
    case = _create(
        context=[{"role": "user", "content": "oi"}, {"role": "assistant", "content": "Olá!"}],
        tools_called=[{"name": "card_lookup", "arguments": {"card": "1234"}}, {"name": "block_card"}],
        tool_results={"card_lookup": {"status": "active"}},
        output_schema={"type": "object"},
        must_contain=["/bloque(ado|ei)/"],
        expected_member="cards",
        max_length=400,
    )
    case.refresh_from_db()
    assert case.tools_called[1] == {"name": "block_card"} and case.output_schema == {"type": "object"}


def test_case_update__malformed_field__refused_and_case_unchanged(team):
    case = _create()
    with pytest.raises(ValidationError) as exc:
        case_update(case=case, actor="t", must_contain="bloque")
    assert "must_contain" in exc.value.message_dict
    case.refresh_from_db()
    assert case.must_contain == []


def test_free_case_name__first_words_of_the_message_then_numbered(team):
    message = "Perdi meu cartão ontem à noite no shopping e preciso bloquear agora mesmo, por favor me ajude"
    first = free_case_name("team", "router", message)
    assert first == "Perdi meu cartão ontem à noite no shopping e preciso…" and len(first) <= 60
    _create(name=first)
    assert free_case_name("team", "router", message) == f"{first} (2)"
    _create(name=f"{first} (2)")
    assert free_case_name("team", "router", message) == f"{first} (3)"
    assert free_case_name("agent", "cards", message) == first  # names are unique per component
    assert free_case_name("team", "router", "  Pix\n não   caiu ") == "Pix não caiu"
