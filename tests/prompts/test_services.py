"""Prompt fragments end to end through the services: agents and teams include them, publishing refuses what does not
expand, and a fragment's release publishes exactly its dependents, atomically (prompts/services.py,
versioning.services.component_republish / draft_refresh)."""

import pytest
from django.core.exceptions import ValidationError

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditRecord
from prompts.models import PromptFragment
from prompts.services import fragment_create, fragment_update, variable_create
from runtime.models import RuntimeState
from runtime.selectors import agent_document, team_document
from versioning import gates
from versioning.components import get_kind
from versioning.gates import GateRefused
from versioning.models import ComponentVersion, VersionStatus
from versioning.services import component_delete, component_publish, component_rollback, component_set_active

pytestmark = pytest.mark.django_db

TONE = "Fale com {{ customer_name }} de forma cordial."
FRAGMENT = get_kind("fragment")


def publish(kind_type, component_id, actor="test-setup"):
    return component_publish(kind=get_kind(kind_type), component_id=component_id, actor=actor)


def published(kind_type, component_id) -> ComponentVersion:
    return ComponentVersion.objects.get(component_type=kind_type, component_id=component_id, status="published")


@pytest.fixture
def tone(db):
    variable_create(actor="test-setup", name="customer_name", type="string", required=True)
    fragment = fragment_create(actor="test-setup", note="shared tone", name="tone-of-voice", title="Tone", text=TONE)
    publish("fragment", "tone-of-voice")
    return fragment


def edit_tone(text, actor="test-setup"):
    fragment = PromptFragment.objects.get(name="tone-of-voice")
    fragment_update(fragment=fragment, actor=actor, note="warmer", text=text)


def test_agent_including_a_fragment__document_holds_the_expanded_text_and_the_versions_used(tone, make_agent):
    make_agent("cards", instructions=["Be concise.", "{{> tone-of-voice }}"], publish=True)
    document = agent_document("cards")
    assert document["instructions"] == ["Be concise.", "Fale com {customer_name} de forma cordial."]
    assert document["metadata"]["hive"]["prompt"] == {
        "fragments": {"tone-of-voice": 1},
        "variables": {"customer_name": {"type": "string", "required": True}},
    }
    # The working copy keeps what people wrote.
    assert Agent.objects.get(agent_id="cards").instructions == ["Be concise.", "{{> tone-of-voice }}"]


def test_agent_without_markers__configuration_unchanged(make_agent):
    agent = make_agent("cards", publish=True)
    assert "prompt" not in published("agent", "cards").config
    assert "prompt" not in agent_document("cards")["metadata"]["hive"]
    assert agent.instructions == published("agent", "cards").config["instructions"]


def test_publish__unpublished_fragment__refused(make_agent):
    fragment_create(actor="t", note="n", name="lgpd", title="LGPD", text="Nunca repita dados pessoais.")
    make_agent("cards", instructions=["{{> lgpd }}"])
    with pytest.raises(ValidationError, match="unpublished or unknown fragment “lgpd”"):
        publish("agent", "cards")


def test_publish__undeclared_variable__refused_then_accepted_once_declared_and_saved(make_agent):
    agent = make_agent("cards", description="Atenda {{ customer_name }}.")
    with pytest.raises(ValidationError, match=r"undeclared variable \{\{ customer_name \}\}"):
        publish("agent", "cards")
    variable_create(actor="t", name="customer_name", type="string", required=True)
    with pytest.raises(ValidationError, match="declared after this version was saved"):
        publish("agent", "cards")
    agent_update(agent=agent, actor="t", note="again", name="Cards")
    publish("agent", "cards")
    assert agent_document("cards")["description"] == "Atenda {customer_name}."


def test_fragment__cycle_through_another_fragment__refused(tone):
    fragment_create(actor="t", note="n", name="lgpd", title="LGPD", text="Regras. {{> tone-of-voice }}")
    publish("fragment", "lgpd")
    edit_tone(TONE + " {{> lgpd }}")
    with pytest.raises(ValidationError, match="cycle: tone-of-voice → lgpd → tone-of-voice"):
        publish("fragment", "tone-of-voice")


def test_fragment__undeclared_variable__refused(tone):
    edit_tone(TONE + " Protocolo {{ ticket }}.")
    with pytest.raises(ValidationError, match=r"undeclared variable \{\{ ticket \}\}"):
        publish("fragment", "tone-of-voice")


def test_publishing_a_fragment__republishes_exactly_its_dependents_in_one_batch_and_one_commit(
    tone, make_agent, make_team
):
    make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    make_agent("pix", instructions=["Pix.", "{{> tone-of-voice }}"], publish=True, name="Pix")
    make_agent("loans", publish=True, name="Loans")  # includes nothing
    make_team("router", members=[Agent.objects.get(agent_id="cards")], publish=True, description="{{> tone-of-voice }}")
    before = {a: published("agent", a).version for a in ("cards", "pix", "loans")}
    team_before = published("team", "router").version
    generation = RuntimeState.objects.get(pk=1).config_generation

    edit_tone("Fale com {{ customer_name }} com carinho.")
    release = publish("fragment", "tone-of-voice")

    for agent_id in ("cards", "pix"):
        row = published("agent", agent_id)
        assert row.version == before[agent_id] + 1
        assert row.config["prompt"]["fragments"] == {"tone-of-voice": release.version}
        assert f"Picked up prompt fragment tone-of-voice v{release.version}" in row.change_note
        assert "Fale com {customer_name} com carinho." in agent_document(agent_id)["instructions"]
    assert published("agent", "loans").version == before["loans"]
    assert published("team", "router").version == team_before + 1
    assert team_document("router")["description"] == "Fale com {customer_name} com carinho."
    # The runtime sees one change: the fragment and everything it released, at one config generation.
    assert RuntimeState.objects.get(pk=1).config_generation == generation + 1
    # One audit batch for the fragment and everything it released.
    publish_row = AuditRecord.objects.filter(subject_type="fragment", action="published").latest("id")
    batch = AuditRecord.objects.filter(batch_id=publish_row.batch_id)
    assert publish_row.batch_id is not None
    assert {(r.subject_type, r.subject_id) for r in batch.filter(action="published")} == {
        ("fragment", "tone-of-voice"), ("agent", "cards"), ("agent", "pix"), ("team", "router"),
    }  # fmt: skip


def test_publishing_a_fragment__a_dependent_refused__nothing_changes(tone, make_agent, monkeypatch):
    make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    make_agent("pix", instructions=["{{> tone-of-voice }}"], publish=True, name="Pix")
    edit_tone("Fale com {{ customer_name }} com carinho.")

    def refuse_pix(check):
        if check.component_id == "pix":
            raise GateRefused("pix's test cases refuse it")

    monkeypatch.setattr(gates, "_gates", [*gates._gates, refuse_pix])
    with pytest.raises(GateRefused, match="pix's test cases"):
        publish("fragment", "tone-of-voice")
    assert published("fragment", "tone-of-voice").version == 1
    assert published("agent", "cards").version == 1 and published("agent", "pix").version == 1
    assert TONE.replace("{{ customer_name }}", "{customer_name}") in agent_document("cards")["instructions"]


def test_publishing_a_fragment__open_draft_of_a_dependent_expanded_again_keeping_its_note(tone, make_agent):
    agent = make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    agent_update(agent=agent, actor="t", note="my own change", name="Cards (new)")
    edit_tone("Novo tom, {{ customer_name }}.")
    publish("fragment", "tone-of-voice")
    draft = ComponentVersion.objects.get(component_type="agent", component_id="cards", status=VersionStatus.DRAFT)
    assert draft.config["instructions"] == ["Novo tom, {customer_name}."]
    assert draft.config["name"] == "Cards (new)"
    assert draft.change_note == "my own change"


def test_rolling_back_a_fragment__rolls_its_dependents_back_the_same_way(tone, make_agent):
    make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    edit_tone("Novo tom, {{ customer_name }}.")
    publish("fragment", "tone-of-voice")
    component_rollback(kind=FRAGMENT, component_id="tone-of-voice", to_version=1, actor="t", note="back")
    row = published("agent", "cards")
    assert row.version == 3
    assert row.config["instructions"] == [TONE.replace("{{ customer_name }}", "{customer_name}")]
    assert row.config["prompt"]["fragments"] == {"tone-of-voice": published("fragment", "tone-of-voice").version}


def test_rolling_back_an_agent__working_copy_gets_the_include_back_not_the_expanded_text(tone, make_agent):
    agent = make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    agent_update(agent=agent, actor="t", note="plain", instructions=["Plain text."])
    publish("agent", "cards")
    component_rollback(kind=get_kind("agent"), component_id="cards", to_version=1, actor="t", note="back")
    assert Agent.objects.get(agent_id="cards").instructions == ["{{> tone-of-voice }}"]


def test_fragment_in_use__cannot_be_deleted_or_deactivated(tone, make_agent):
    make_agent("cards", instructions=["{{> tone-of-voice }}"], publish=True)
    with pytest.raises(ValidationError, match="included by agent cards"):
        component_delete(kind=FRAGMENT, component_id="tone-of-voice", actor="t")
    with pytest.raises(ValidationError, match="included by agent cards"):
        component_set_active(kind=FRAGMENT, component_id="tone-of-voice", active=False, actor="t")


def test_fragment__not_promoted_to_later_environments(tone):
    from versioning.promotion import component_promote

    with pytest.raises(ValidationError, match="not promoted: promote the components that include it"):
        component_promote(kind=FRAGMENT, component_id="tone-of-voice", environment="production", actor="t", note="go")
