"""The prompts admin by role: fragments edited as drafts (no JSON anywhere), the variables catalogue, the release
panel on a fragment's publish page, and refusals shown as messages rather than errors."""

import pytest
from django.urls import reverse

from prompts.models import PromptFragment, PromptVariable
from prompts.services import fragment_create, variable_create
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


@pytest.fixture
def tone(db, make_agent):
    variable_create(actor="t", name="customer_name", type="string", required=True)
    fragment = fragment_create(actor="t", note="n", name="tone", title="Tone", text="Oi {{ customer_name }}.")
    component_publish(kind=get_kind("fragment"), component_id="tone", actor="t")
    make_agent("cards", instructions=["{{> tone }}"], publish=True)
    return fragment


def add_fragment(client, **overrides):
    data = {"title": "LGPD", "name": "lgpd", "description": "", "text": "Nunca repita dados.", "change_note": "new"}
    return client.post(reverse("admin:prompts_promptfragment_add"), {**data, **overrides})


def test_editor__adds_a_fragment__a_draft_exists(client, editor):
    client.force_login(editor)
    response = add_fragment(client)
    assert response.status_code == 302
    assert component_status("fragment", "lgpd").draft is not None


def test_viewer__cannot_add_fragments_or_variables(client, viewer):
    client.force_login(viewer)
    assert add_fragment(client).status_code == 403
    assert client.post(reverse("admin:prompts_promptvariable_add"), {"name": "x", "type": "string"}).status_code == 403
    assert not PromptFragment.objects.exists()


def test_fragment_form__self_include__form_error(client, editor):
    client.force_login(editor)
    response = add_fragment(client, text="{{> lgpd }}")
    assert response.status_code == 200
    assert "cannot include itself" in response.content.decode()
    assert not PromptFragment.objects.exists()


def test_publish_page__lists_the_agents_it_releases_with_what_changes(client, publisher, tone):
    from prompts.services import fragment_update

    fragment_update(fragment=tone, actor="t", note="warmer", text="Olá {{ customer_name }}!")
    client.force_login(publisher)
    page = client.get(reverse("admin:prompts_promptfragment_publish", args=[tone.pk])).content.decode()
    assert 'id="fragment-dependents"' in page
    assert "agent cards" in page and "changes its instructions" in page


def test_change_page__used_by_and_rendered(client, viewer, tone):
    client.force_login(viewer)
    page = client.get(reverse("admin:prompts_promptfragment_change", args=[tone.pk])).content.decode()
    assert "agent cards" in page
    assert "Oi {customer_name}." in page


def test_delete_used_fragment__refused_with_a_message(client, publisher, tone):
    client.force_login(publisher)
    response = client.post(reverse("admin:prompts_promptfragment_delete", args=[tone.pk]), {"post": "yes"}, follow=True)
    assert "included by agent cards" in response.content.decode()
    assert PromptFragment.objects.filter(name="tone").exists()


def test_variables__editor_declares_one__publisher_cannot_delete_one_in_use(client, editor, publisher, tone):
    client.force_login(editor)
    response = client.post(
        reverse("admin:prompts_promptvariable_add"),
        {"name": "protocol", "type": "string", "required": "on", "description": "", "example": ""},
    )
    assert response.status_code == 302 and PromptVariable.objects.filter(name="protocol").exists()
    client.force_login(publisher)
    used = PromptVariable.objects.get(name="customer_name")
    response = client.post(reverse("admin:prompts_promptvariable_delete", args=[used.pk]), {"post": "yes"}, follow=True)
    assert "used by agent cards" in response.content.decode()
    assert PromptVariable.objects.filter(name="customer_name").exists()


def test_agent_review_page__diff_shows_the_fragment_text_an_include_brings(client, publisher, tone, make_agent):
    from agents.services import agent_update

    agent = make_agent("pix", name="Pix", instructions=["Seja breve."], publish=True)
    agent_update(agent=agent, actor="t", note="shared tone", instructions=["Seja breve.", "{{> tone }}"])
    client.force_login(publisher)
    page = client.get(reverse("admin:agents_agent_publish", args=[agent.pk])).content.decode()
    diff = page[page.index('class="hive-diff') :]
    assert "Oi {customer_name}." in diff  # the words the runtime will get, not only the include marker


def test_agent_history__says_which_fragment_version_it_picked_up(client, publisher, tone):
    from agents.models import Agent
    from prompts.services import fragment_update

    fragment_update(fragment=tone, actor="t", note="warmer", text="Olá {{ customer_name }}, tudo bem?")
    component_publish(kind=get_kind("fragment"), component_id="tone", actor="t")
    client.force_login(publisher)
    agent = Agent.objects.get(agent_id="cards")
    versions = client.get(reverse("admin:agents_agent_versions", args=[agent.pk])).content.decode()
    assert "Picked up prompt fragment tone v2" in versions


def test_list__queries_do_not_grow_with_the_fragments(client, viewer, tone, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(viewer)
    url = reverse("admin:prompts_promptfragment_changelist")
    with CaptureQueriesContext(connection) as few:
        assert "tone" in client.get(url).content.decode()
    for i in range(5):
        fragment_create(actor="t", note="n", name=f"extra-{i}", title=f"Extra {i}", text="{{> tone }}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "extra-4" in page
