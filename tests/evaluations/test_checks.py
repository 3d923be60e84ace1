"""The expectations that need no model, one rule at a time."""

from __future__ import annotations

import pytest

from evaluations.checks import Outcome, failures, pattern_error

pytestmark = pytest.mark.sqlite_smoke


def test_text__plain_is_literal_and_case_insensitive__slashes_make_a_regex():
    definition = {"must_contain": ["r$ 500", "/prazo de \\d+ dias/"], "must_not_contain": ["senha"]}
    assert failures(definition, Outcome(output="Valor R$ 500, prazo de 80 dias.")) == []
    assert failures(definition, Outcome(output="Valor R$ 5.00; informe a SENHA")) == [
        "The answer does not contain “r$ 500”.",
        "The answer does not contain “/prazo de \\d+ dias/”.",
        "The answer contains “senha”.",
    ]


def test_bad_regex__named():
    assert "not a valid regular expression" in pattern_error("/([a-z/")
    assert pattern_error("(literal [text") is None


def test_route_and_length():
    definition = {"expected_member": "cards-specialist", "max_length": 5}
    assert failures(definition, Outcome(output="ok", route="cards-specialist")) == []
    assert failures(definition, Outcome(output="longer", route="")) == [
        "Routed to no member, not to cards-specialist.",
        "The answer has 6 characters; at most 5 are allowed.",
    ]


def test_tools__names_and_argument_subsets():
    definition = {
        "tools_called": [{"name": "block_card", "arguments": {"last4": "1234"}}, {"name": "card_lookup"}],
        "tools_not_called": ["pix_transaction_lookup"],
    }
    good = [
        {"name": "block_card", "arguments": {"last4": "1234", "reason": "perda"}},
        {"name": "card_lookup", "arguments": {}},
    ]
    assert failures(definition, Outcome(tool_calls=good)) == []
    bad = [{"name": "block_card", "arguments": {"last4": "9999"}}, {"name": "pix_transaction_lookup", "arguments": {}}]
    assert failures(definition, Outcome(tool_calls=bad)) == [
        'Tool block_card was not called with {"last4": "1234"}.',
        "Tool card_lookup was not called.",
        "Tool pix_transaction_lookup was called.",
    ]


def test_json_schema():
    definition = {"output_schema": {"type": "object", "required": ["intent"]}}
    assert failures(definition, Outcome(output='{"intent": "golpe"}')) == []
    assert failures(definition, Outcome(output="golpe")) == ["The answer is not JSON."]
    assert failures(definition, Outcome(output="{}")) == [
        "The answer does not match the JSON schema at the answer: 'intent' is a required property"
    ]


def test_judge_score_and_evaluator_error():
    definition = {"judge_rubric": "Cita o MED", "judge_min_score": 7}
    assert failures(definition, Outcome(judge_score=7)) == []
    assert failures(definition, Outcome(judge_score=6.5)) == ["The judge scored 6.5/10; 7 is needed."]
    assert failures(definition, Outcome(error="timeout")) == ["The evaluator could not run the case: timeout"]
