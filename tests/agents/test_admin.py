"""The agent admin as business users use it: logged in, through the pages."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import Agent
from versioning.models import ComponentVersion
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db


def change_url(agent):
    return reverse("admin:agents_agent_change", args=[agent.pk])


INLINES = {
    "capability_rows": ("name", "description", "parameters"),
    "knowledge_domain_rows": ("domain", "priority", "description"),
}


def inline_data(agent=None, **rows) -> dict:
    """The capability and knowledge domain inlines as a browser posts them: the agent's rows as they are, unless
    ``capability_rows=[{...}]`` / ``knowledge_domain_rows=[{...}]`` replace them (the old rows are then deleted)."""
    data = {}
    for prefix, fields in INLINES.items():
        existing = list(getattr(agent, prefix).all()) if agent is not None else []
        new = rows.get(prefix)
        forms = [{"id": row.pk, **{f: getattr(row, f) for f in fields}} for row in existing]
        if new is not None:
            forms = [{**form, "DELETE": "on"} for form in forms] + list(new)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(forms)),
                f"{prefix}-INITIAL_FORMS": str(len(existing)),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for index, form in enumerate(forms):
            for key, value in form.items():
                value = json.dumps(value) if isinstance(value, dict) else value
                data[f"{prefix}-{index}-{key}"] = "" if value is None else str(value)
            if agent is not None:
                data[f"{prefix}-{index}-agent"] = str(agent.pk)
    return data


def form_data(client, agent, **overrides):
    """What the change form posts, as a browser would send it, with ``overrides`` applied."""
    response = client.get(change_url(agent))
    assert response.status_code == 200
    initial = response.context["adminform"].form.initial
    params = dict(agent.parameters)
    data = {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "role": agent.role,
        "description": agent.description,
        "system_prompt": agent.system_prompt,
        "model_provider": agent.model_provider,
        "model_name": agent.model_name,
        "instructions__present": "1",
        "instructions__item": list(agent.instructions),
        "tools__present": "1",
        "tools__tool": [t if isinstance(t, str) else t["name"] for t in agent.tools],
        "tools__description": ["" for _ in agent.tools],
        "tools__settings": ["" for _ in agent.tools],
        "model_settings__present": "1",
        "model_settings__key": list(agent.model_settings),
        "model_settings__value": [json.dumps(v) for v in agent.model_settings.values()],
        "other_parameters__present": "1",
        "markdown": "on" if params.get("markdown") else "",
        "change_note": "Edited in a test",
        "base_revision": initial["base_revision"],
        "base_snapshot": initial["base_snapshot"],
        **inline_data(agent),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_changelist__shows_agents_with_status(client, make_agent, viewer):
    make_agent("cards", publish=True)
    make_agent("pix", name="Pix specialist")
    client.force_login(viewer)
    response = client.get(reverse("admin:agents_agent_changelist"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Cards specialist" in content and "live v1" in content
    assert "Pix specialist" in content and "never published" in content


def test_changelist__constant_queries_at_1000_rows(client, viewer, make_agent):
    make_agent("seed")
    client.force_login(viewer)
    url = reverse("admin:agents_agent_changelist")
    with CaptureQueriesContext(connection) as small:  # one agent
        assert client.get(url).status_code == 200
    Agent.objects.bulk_create(
        [
            Agent(
                agent_id=f"agent-{i:04d}", name=f"Agent {i}", model_provider="openai", model_name="gpt-4o",
                instructions=["x"], tools=[], parameters={}, model_settings={},
            )
            for i in range(1000)
        ]
    )  # fmt: skip
    with CaptureQueriesContext(connection) as large:  # a full page of 50 out of 1,001
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50 and response.context["cl"].result_count == 1001
    assert len(large) <= len(small) + 1, [q["sql"] for q in large.captured_queries]
    assert len(large) < 20


def test_edit__saves_a_draft_and_leaves_the_published_version(client, editor, make_agent):
    agent = make_agent("cards", publish=True)
    client.force_login(editor)
    data = form_data(client, agent, instructions__item=["Be concise.", "Always greet the customer in Portuguese 🇧🇷."])
    response = client.post(change_url(agent), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    status = component_status("agent", "cards")
    assert status.published.config["instructions"] == ["Be concise.", "Never ask for the card's CVV."]
    assert status.draft.config["instructions"] == ["Be concise.", "Always greet the customer in Portuguese 🇧🇷."]
    assert status.draft.change_note == "Edited in a test"
    assert status.draft.edited_by_name == editor.username


def test_edit__change_note_is_required(client, editor, make_agent):
    agent = make_agent("cards")
    client.force_login(editor)
    response = client.post(change_url(agent), form_data(client, agent, change_note=""))
    assert response.status_code == 200
    assert "change_note" in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "override, field, message",
    [
        ({"tools__tool": ["not_in_catalogue"], "tools__description": [""], "tools__settings": [""]}, "tools", "not in"),
        (
            {"tools__tool": ["card_lookup"], "tools__description": [""], "tools__settings": ["no equals"]},
            "tools",
            "name = value",
        ),
        ({"model_settings__key": ["temperature"], "model_settings__value": ["9"]}, "model_settings", "between"),
        ({"model_name": ""}, "model_name", "required"),
        ({"agent_id": "Has Spaces"}, "agent_id", "lowercase"),
        (
            {"other_parameters__key": ["num_history_runs"], "other_parameters__value": ["-2"]},
            "other_parameters",
            "negative",
        ),
        # hostile input: deep JSON, NUL characters, lone surrogates (were RecursionError / database errors)
        (
            {
                "tools__tool": ["card_lookup"],
                "tools__description": [""],
                "tools__settings": ["a = " + "[" * 40 + "]" * 40],
            },
            "tools",
            "32 levels",
        ),
        (
            {"tools__tool": ["card_lookup"], "tools__description": [""], "tools__settings": ['a = {"a": "\\ud800"}']},
            "tools",
            "surrogate",
        ),
        ({"tools__tool": ["card_lookup"], "tools__description": ["x\x00"], "tools__settings": [""]}, "tools", "NUL"),
        (
            {"other_parameters__key": ["metadata"], "other_parameters__value": ["[" * 100_000 + "]" * 100_000]},
            "other_parameters",
            "nested",
        ),
        (
            {"other_parameters__key": ["metadata"], "other_parameters__value": ['{"a": "x\\u0000"}']},
            "other_parameters",
            "NUL",
        ),
        (
            {"other_parameters__key": ["metadata"], "other_parameters__value": ["plain \x00 text"]},
            "other_parameters",
            "NUL",
        ),
        ({"other_parameters__key": ["meta\x00data"], "other_parameters__value": ["1"]}, "other_parameters", "NUL"),
        ({"instructions__item": ["Be kind.\x00"]}, "instructions", "NUL"),
    ],
)
def test_edit__bad_input__is_a_form_error_not_a_500(client, editor, make_agent, override, field, message):
    agent = make_agent("cards")
    client.force_login(editor)
    response = client.post(change_url(agent), form_data(client, agent, **override))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert message.lower() in " ".join(errors[field]).lower()


def test_edit__two_people_on_one_draft__second_save_refused_with_what_changed(client, editor, other_editor, make_agent):
    agent = make_agent("cards")
    client.force_login(editor)
    first = form_data(client, agent, name="Name by Eddie")
    client.force_login(other_editor)
    second = form_data(client, agent, description="Description by Erin")
    assert client.post(change_url(agent), second).status_code == 302
    client.force_login(editor)
    response = client.post(change_url(agent), first)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    text = " ".join(errors)
    assert "not saved" in text and other_editor.username in text and "description" in text
    agent.refresh_from_db()
    assert agent.name == "Cards specialist" and agent.description == "Description by Erin"


def test_add__creates_agent_and_first_draft(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:agents_agent_add"),
        {
            "agent_id": "new-agent",
            "name": "Novo agente — Crédito",
            "model_provider": "anthropic",
            "model_name": "claude-sonnet-4-20250514",
            "instructions__present": "1",
            "instructions__item": ["Responda em português.", ""],
            "tools__present": "1",
            "model_settings__present": "1",
            "other_parameters__present": "1",
            "change_note": "New credit agent",
            **inline_data(),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agent = Agent.objects.get(agent_id="new-agent")
    assert agent.instructions == ["Responda em português."]
    assert ComponentVersion.objects.get(component_id="new-agent").status == "draft"


def test_viewer__cannot_edit(client, viewer, make_agent):
    agent = make_agent("cards")
    client.force_login(viewer)
    response = client.get(change_url(agent))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert client.post(change_url(agent), {"name": "x"}).status_code == 403


def test_change_page__shows_live_and_draft_status(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    client.force_login(publisher)
    content = client.get(change_url(agent)).content.decode()
    assert "version-status" in content and "v1" in content and "Review changes" not in content


def test_change_page__links_to_metrics_and_agno_sessions(client, viewer, make_agent):
    agent = make_agent("cards", publish=True)
    client.force_login(viewer)
    content = client.get(change_url(agent)).content.decode()
    assert reverse("admin:monitoring_agnosession_changelist") + "?agent_id=cards" in content
    assert reverse("admin:monitoring_agentmetric_dashboard") + "?agent=cards" in content
