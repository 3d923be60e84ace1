"""A prompt's problems and the prompts refusals in the page's language: the versioned configuration stores its
problems in English (they are hashed with it), pages and refusals show them translated."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from prompts.rendering import Expansion, describe_problem
from prompts.selectors import prompt_problems
from prompts.services import fragment_create, variable_create, variable_delete
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = pytest.mark.django_db


def test_problems__stored_english_in_any_language__described_in_the_active_one():
    found = Expansion(missing={"lgpd"}, cycles=[["a", "b", "a"]], malformed={"{{> Tone }}"})
    with translation.override("pt-br"):
        stored = found.problems()
        shown = [describe_problem(problem) for problem in stored]
    assert stored == [
        "includes the unpublished or unknown fragment “lgpd”",
        "includes fragments in a cycle: a → b → a",
        "has “{{> Tone }}”, which is neither an include ({{> name }}) nor a variable ({{ name }})",
    ]
    assert shown == [
        "inclui o fragmento não publicado ou desconhecido “lgpd”",
        "inclui fragmentos em ciclo: a → b → a",
        "tem “{{> Tone }}”, que não é uma inclusão ({{> name }}) nem uma variável ({{ name }})",
    ]
    assert [describe_problem(problem) for problem in stored] == stored  # English by default
    assert describe_problem("something else") == "something else"


def test_publish__unpublished_fragment__refused_in_portuguese__the_draft_stores_english(make_agent):
    fragment_create(actor="t", note="n", name="lgpd", title="LGPD", text="Nunca repita dados pessoais.")
    with translation.override("pt-br"):
        make_agent("cards", instructions=["{{> lgpd }}"])  # the draft is saved on a Portuguese page
        with pytest.raises(ValidationError) as refused:
            component_publish(kind=get_kind("agent"), component_id="cards", actor="t")
        assert prompt_problems(component_status("agent", "cards").draft.config) == [
            "inclui o fragmento não publicado ou desconhecido “lgpd”"
        ]
    assert refused.value.messages == ["O prompt de cards inclui o fragmento não publicado ou desconhecido “lgpd”."]
    assert refused.value.code == "prompt"
    draft = component_status("agent", "cards").draft
    assert draft.config["prompt"]["problems"] == ["includes the unpublished or unknown fragment “lgpd”"]


def test_undeclared_variable_and_used_variable__refusals_in_portuguese(make_agent):
    make_agent("cards", description="Atenda {{ customer_name }}.")
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        component_publish(kind=get_kind("agent"), component_id="cards", actor="t")
    assert refused.value.messages == [
        "O prompt de cards usa a variável não declarada {{ customer_name }}: declare-a em Prompts › Variáveis."
    ]
    variable = variable_create(actor="t", name="ticket", type="string")
    make_agent("support", description="Ticket {{ ticket }}.")
    with translation.override("pt-br"), pytest.raises(ValidationError) as in_use:
        variable_delete(variable=variable, actor="t")
    assert in_use.value.messages == ["ticket é usada por agent support: remova-a dos prompts deles primeiro."]


@pytest.mark.postgres_only
def test_fragment_page__problems_in_portuguese(client, viewer):
    fragment = fragment_create(actor="t", note="n", name="intro", title="Intro", text="Oi. {{> missing }}")
    client.force_login(viewer)
    client.cookies["django_language"] = "pt-br"
    page = client.get(reverse("admin:prompts_promptfragment_change", args=[fragment.pk])).content.decode()
    assert "inclui o fragmento não publicado ou desconhecido “missing”" in page


@pytest.mark.postgres_only
def test_fragment_form__constraint_message_in_portuguese(client, editor):
    client.force_login(editor)
    client.cookies["django_language"] = "pt-br"
    response = client.post(
        reverse("admin:prompts_promptfragment_add"),
        {"title": "LGPD", "name": "Not Valid", "description": "", "text": "Nunca.", "change_note": "new"},
    )
    assert response.status_code == 200
    assert "O nome de um fragmento tem letras minúsculas, dígitos, hifens e sublinhados." in response.content.decode()
