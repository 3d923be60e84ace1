"""Capabilities and knowledge domains through the YAML files: exported with the agent, imported back to the same
configuration (portal and Agno formats), read from Hive's config.yaml; a bad item is named at its line and
nothing of the import is written."""

from pathlib import Path

import pytest

from agents.models import Agent, AgentCapability, AgentKnowledgeDomain
from agents.services import agent_update
from common.hashing import canonical_hash
from interchange.documents import ConfigFileErrors
from interchange.importing import components_export, components_import
from interchange.reading import read_file
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_delete

pytestmark = pytest.mark.django_db

REFUNDS = {"name": "refunds", "description": "Reembolsa compras no cartão", "parameters": {"max_amount": 500}}
BLOCK = {"name": "card-block", "description": "", "parameters": {}}
CARDS = {"domain": "credit-cards", "priority": 1, "description": "Limites, faturas, tarifas"}
PIX = {"domain": "pix", "priority": 2, "description": ""}

PORTAL_AGENT = """format: hive-portal/v1
kind: agent
config:
  id: cards
  name: Cards
  model: {provider: openai, id: gpt-4o, params: {}}
  instructions: [Be concise.]
  capabilities:
  - name: refunds
    parameters: {max_amount: 500}
  - name: refunds
  knowledge_domains:
  - {domain: pix, priority: 1}
"""


@pytest.mark.parametrize("format", ["yaml", "agno"])
def test_export_then_import__identical_configuration_and_rows(tmp_path, make_agent, format):
    make_agent("cards", publish=True, capabilities=[REFUNDS, "card-block"], knowledge_domains=[PIX, CARDS])
    stored = component_status("agent", "cards").published

    files = components_export(directory=tmp_path, format=format)
    (exported,) = [f for f in files if f.component_id == "cards"]
    doc = read_file(exported.path)
    assert doc.config["capabilities"] == [REFUNDS, BLOCK]
    assert doc.config["knowledge_domains"] == [CARDS, PIX]
    if format == "yaml":
        text = exported.path.read_text(encoding="utf-8")
        assert "Reembolsa compras no cartão" in text and text.index("capabilities:") < text.index("knowledge_domains:")
        assert canonical_hash(doc.config) == stored.content_hash  # Agno's format leaves the nulls out

    report = components_import(paths=[exported.path], actor="t")  # into the same database: nothing to do
    assert [change.action for change in report.changes] == ["unchanged"]

    component_delete(kind=get_kind("agent"), component_id="cards", actor="t", reason="round trip")
    assert not AgentCapability.objects.exists() and not AgentKnowledgeDomain.objects.exists()
    components_import(paths=[exported.path], actor="t", publish=True)
    assert component_status("agent", "cards").published.content_hash == stored.content_hash
    agent = Agent.objects.get(agent_id="cards")
    assert agent.capabilities == [REFUNDS, BLOCK] and agent.knowledge_domains == [CARDS, PIX]


def test_import__changed_rows__update_the_draft(tmp_path, make_agent):
    make_agent("cards", publish=True, capabilities=[REFUNDS])
    (path,) = [f.path for f in components_export(directory=tmp_path) if f.component_id == "cards"]
    text = path.read_text(encoding="utf-8").replace("max_amount: 500", "max_amount: 900")
    path.write_text(text, encoding="utf-8")
    report = components_import(paths=[path], actor="t")
    assert [change.action for change in report.changes] == ["updated"]
    draft = component_status("agent", "cards").draft
    assert draft.config["capabilities"] == [REFUNDS | {"parameters": {"max_amount": 900}}]
    assert Agent.objects.get(agent_id="cards").capabilities[0]["parameters"] == {"max_amount": 900}


def test_import__bad_item__named_at_its_line__nothing_written(tmp_path, make_agent):
    agent = make_agent("cards", capabilities=[BLOCK])
    revision = agent.revision
    good = tmp_path / "pix.yaml"
    good.write_text(PORTAL_AGENT.replace("id: cards", "id: pix").split("  capabilities:")[0], encoding="utf-8")
    (tmp_path / "cards.yaml").write_text(PORTAL_AGENT, encoding="utf-8")

    with pytest.raises(ConfigFileErrors) as caught:
        components_import(paths=[tmp_path], actor="t")

    errors = [(Path(e.source).name, e.line, e.message) for e in caught.value.errors]
    assert len(errors) == 1, errors
    name, line, message = errors[0]
    assert (name, line) == ("cards.yaml", 11)  # the second "- name: refunds"
    assert "Capability 2" in message and "listed twice" in message
    assert not Agent.objects.filter(agent_id="pix").exists()  # all or nothing
    agent = Agent.objects.get(agent_id="cards")
    assert agent.revision == revision and agent.capabilities == [BLOCK]


def test_import__rows_that_are_not_a_list__named_at_their_key(tmp_path):
    (tmp_path / "a.yaml").write_text(
        PORTAL_AGENT.split("  capabilities:")[0] + "  knowledge_domains: pix\n", encoding="utf-8"
    )
    with pytest.raises(ConfigFileErrors) as caught:
        components_import(paths=[tmp_path], actor="t")
    assert [(e.line, e.message) for e in caught.value.errors] == [(8, "knowledge_domains must be a list.")]


HIVE_AGENT = """agent:
  agent_id: cards
  name: Cards
  version: 3
model:
  provider: openai
  id: gpt-4o
instructions: Be concise.
capabilities:
  - refunds
  - capability_name: card-block
    description: Blocks a lost card
knowledge_domains:
  - domain_name: credit-cards
    priority_level: 2
  - domain: pix
    priority: 1
"""


def test_hive_config__rows_read__table_column_names_mapped_with_warnings(tmp_path):
    (tmp_path / "config.yaml").write_text(HIVE_AGENT, encoding="utf-8")
    report = components_import(paths=[tmp_path], actor="t")
    config = component_status("agent", "cards").draft.config
    assert config["capabilities"] == [
        {"name": "refunds", "description": "", "parameters": {}},
        {"name": "card-block", "description": "Blocks a lost card", "parameters": {}},
    ]
    assert config["knowledge_domains"] == [
        {"domain": "pix", "priority": 1, "description": ""},
        {"domain": "credit-cards", "priority": 2, "description": ""},
    ]
    assert "hive_source" not in config.get("metadata", {}) or "capabilities" not in config["metadata"]["hive_source"]
    warnings = "\n".join(report.warnings)
    assert "config.yaml:11: “capability_name” is called “name”" in warnings
    assert "config.yaml:14: “domain_name” is called “domain”" in warnings


def test_hive_config__bad_priority__named_at_its_item(tmp_path, make_agent):
    (tmp_path / "config.yaml").write_text(HIVE_AGENT.replace("priority: 1", "priority: 2"), encoding="utf-8")
    with pytest.raises(ConfigFileErrors) as caught:
        components_import(paths=[tmp_path], actor="t")
    assert [(e.line, "priority 2 is already credit-cards's" in e.message) for e in caught.value.errors] == [(16, True)]


def test_import__existing_agent__file_without_rows__removes_them(tmp_path, make_agent):
    agent = make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    agent_update(agent=agent, actor="t", note="n", instructions=["Be concise."], model_settings={}, parameters={})
    (tmp_path / "a.yaml").write_text(PORTAL_AGENT.split("  capabilities:")[0], encoding="utf-8")
    components_import(paths=[tmp_path], actor="t")
    agent = Agent.objects.get(agent_id="cards")
    assert agent.capabilities == [] and agent.knowledge_domains == []
    assert "capabilities" not in component_status("agent", "cards").draft.config
