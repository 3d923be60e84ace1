"""The database itself refuses an agent that breaks the rules, whatever code writes it."""

import pytest
from django.db import IntegrityError, transaction

from agents.models import Agent

pytestmark = pytest.mark.django_db

VALID = {
    "agent_id": "cards",
    "name": "Cards",
    "model_provider": "openai",
    "model_name": "gpt-4o",
    "model_settings": {},
    "instructions": [],
    "tools": [],
    "parameters": {},
}


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    "override",
    [
        {"agent_id": "Not A Slug"},
        {"model_provider": "made-up"},
        {"model_name": ""},
        {"name": ""},
        {"model_settings": ["not", "an", "object"]},
        {"instructions": {"not": "a list"}},
        {"tools": "ShellTools"},
        {"parameters": []},
    ],
    ids=lambda o: next(iter(o)),
)
def test_agent__constraint_refuses(override):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(**{**VALID, **override})


@pytest.mark.sqlite_smoke
def test_agent__agent_id_is_unique():
    Agent.objects.create(**VALID)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(**{**VALID, "name": "Other"})


def test_agent__str_and_model_string():
    agent = Agent(**VALID)
    assert str(agent) == "Cards (cards)"
    assert agent.model_string == "openai:gpt-4o"
