"""Rules the agent services enforce whoever calls them (admin, commands, API).

The id-after-publishing and delete-while-in-a-team rules are tested at every layer that enforces them in
``tests/versioning/test_component_rules.py``."""

import pytest

from agents.models import Agent
from agents.services import agent_update

pytestmark = pytest.mark.django_db


def test_agent_update__id_may_change_before_the_first_publish(make_agent):
    agent = make_agent("draft-only")
    agent_update(agent=agent, actor="eddie", note="Better id", agent_id="cards")
    assert Agent.objects.get(pk=agent.pk).agent_id == "cards"
