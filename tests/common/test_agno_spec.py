"""Rules the portal applies so a runtime document is one Agno (and the model providers) accept."""

import inspect

import pytest
from django.core.exceptions import ValidationError

from common.agno_spec import (
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    validate_mode_flags,
    validate_parameters,
    validate_tools,
)


@pytest.mark.parametrize("name", ["card lookup", "x" * 65, "docs.search", "agno-docs:*"])
def test_tool_name__outside_what_providers_accept__refused(name):
    with pytest.raises(ValidationError, match="letters, digits, underscores and hyphens"):
        validate_tools([name])


def test_tool_names__letters_digits_underscores_hyphens__accepted():
    validate_tools(["card_lookup", "ShellTools", {"name": "block-card", "description": "Bloqueia"}, "x" * 64])


@pytest.mark.parametrize(
    "old, new",
    [("search_session_history", "search_past_sessions"), ("num_history_sessions", "num_past_sessions_to_search")],
)
def test_parameters__agno_3_renamed_names__refused_with_the_new_name(old, new):
    with pytest.raises(ValidationError, match=f"Agno 3 calls it “{new}”"):
        validate_parameters({old: True}, kind="agent")


def test_mode_flags__contradicting_the_mode__refused():
    with pytest.raises(ValidationError, match="respond_directly cannot be False in route mode"):
        validate_mode_flags("route", {"respond_directly": False})
    validate_mode_flags("route", {"respond_directly": True})
    validate_mode_flags("coordinate", {})


@pytest.mark.parametrize(
    "binding, message",
    [
        ({"search_knowledge": True}, "knowledge.search_knowledge is an agent parameter"),
        ({"max_results": 0}, "knowledge.max_results must be a whole number from 1 to 50"),
        ({"max_distance": 3}, "knowledge.max_distance must be a number from 0 to 2"),
        ({"business_unit": ""}, "knowledge.business_unit must be a text"),
        ({"color": "red"}, "knowledge.color is not part of a knowledge binding"),
        ("pix", "knowledge must be a set of named values"),
    ],
)
def test_knowledge_binding__bad_shapes__refused_naming_the_key(binding, message):
    with pytest.raises(ValidationError, match=message):
        validate_parameters({"knowledge": binding}, kind="agent")


def test_knowledge_binding__good_shape__accepted():
    validate_parameters(
        {
            "knowledge": {
                "business_unit": "pix",
                "max_results": 3,
                "max_distance": 0.3,
                "valid_metadata_filters": ["category"],
            }
        },
        kind="agent",
    )


def test_agno_parameter_lists__match_agno():
    # agno is pinned in requirements.txt: without it this test fails rather than skips.
    from agno.agent import Agent
    from agno.team import Team

    assert set(inspect.signature(Agent.__init__).parameters) - {"self"} == AGNO_AGENT_PARAMETERS
    assert set(inspect.signature(Team.__init__).parameters) - {"self"} == AGNO_TEAM_PARAMETERS
