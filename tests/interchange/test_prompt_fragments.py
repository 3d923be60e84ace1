"""Prompt fragments through the YAML files: an export writes the prompts as people wrote them, an import reads them
back to the same configuration and expands them with what is published."""

import pytest

from interchange.importing import components_export, components_import
from prompts.services import fragment_create, variable_create
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def tone(db):
    variable_create(actor="t", name="customer_name", type="string", required=True)
    fragment_create(actor="t", note="n", name="tone", title="Tone", text="Fale com {{ customer_name }}.")
    component_publish(kind=get_kind("fragment"), component_id="tone", actor="t")


def test_export__includes_as_written__import_back__unchanged(tmp_path, tone, make_agent):
    make_agent("cards", instructions=["{{> tone }}", "Seja breve."], publish=True)
    components_export(directory=tmp_path)
    text = (tmp_path / "agents" / "cards.yaml").read_text()
    assert "{{> tone }}" in text and "Fale com" not in text and "prompt:" not in text
    before = component_status("agent", "cards").published
    report = components_import(paths=[tmp_path], actor="t", note="round trip")
    assert [change.action for change in report.changes] == ["unchanged"]
    assert component_status("agent", "cards").published.pk == before.pk


def test_import__an_edited_include_file__expanded_with_the_published_fragment(tmp_path, tone, make_agent):
    make_agent("cards", publish=True)
    components_export(directory=tmp_path)
    path = tmp_path / "agents" / "cards.yaml"
    path.write_text(path.read_text().replace("- Be concise.", "- '{{> tone }}'"))
    components_import(paths=[tmp_path], actor="t", note="use the tone", publish=True)
    live = component_status("agent", "cards").published
    assert live.config["instructions"][0] == "Fale com {customer_name}."
    assert live.config["prompt"]["fragments"] == {"tone": 1}


def test_export_agno__expanded_for_agno__as_written_in_metadata__import_back__unchanged(tmp_path, tone, make_agent):
    import json

    from agno.agent import Agent as AgnoAgent

    make_agent("cards", instructions=["{{> tone }}", "Seja breve."], publish=True)
    components_export(directory=tmp_path, format="agno")
    document = json.loads((tmp_path / "agents" / "cards.json").read_text())
    assert document["instructions"] == ["Fale com {customer_name}.", "Seja breve."]  # what Agno runs
    assert document["metadata"]["hive"]["prompt"]["source"]["instructions"] == ["{{> tone }}", "Seja breve."]
    assert AgnoAgent.from_dict(document).instructions == ["Fale com {customer_name}.", "Seja breve."]

    before = component_status("agent", "cards").published
    report = components_import(paths=[tmp_path], actor="t", note="round trip")
    assert [change.action for change in report.changes] == ["unchanged"]
    assert component_status("agent", "cards").published.pk == before.pk


def test_import_agno__a_runtime_document_without_the_source__kept_as_expanded(tmp_path, tone, make_agent):
    import json

    make_agent("cards", instructions=["{{> tone }}", "Seja breve."], publish=True)
    components_export(directory=tmp_path, format="agno")
    path = tmp_path / "agents" / "cards.json"
    document = json.loads(path.read_text())
    del document["metadata"]["hive"]["prompt"]["source"]
    path.write_text(json.dumps(document))
    components_import(paths=[tmp_path], actor="t", note="as Agno has it")
    draft = component_status("agent", "cards").draft
    assert draft.config["instructions"][0] == "Fale com {customer_name}."  # the text itself, no include any more
    assert "prompt" not in draft.config  # no include, no variable marker: stored as any plain prompt
