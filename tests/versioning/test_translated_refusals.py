"""The versioning refusals people meet on a page, in the page's language (Brazilian Portuguese here, English by
default), with their error codes; what the code stores from a refusal (a failed schedule's result) stays English
whatever language is active. Versioning has no API of its own: its refusals reach people through the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from agents.models import Agent
from agents.services import agent_update
from versioning.components import get_kind
from versioning.models import ScheduleState
from versioning.promotion import component_promote
from versioning.rollouts import rollout_abort, rollout_start
from versioning.schedules import run_scheduled_release, schedule_publish, schedule_rollout_end
from versioning.services import component_publish, component_rollback

pytestmark = pytest.mark.django_db

AGENT = get_kind("agent")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _v2_in_staging(make_agent):
    """cards: v1 in production, v2 in staging."""
    make_agent("cards", publish=True)
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="ops", note="go")
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="v2", role="Answers kindly")
    component_publish(kind=AGENT, component_id="cards", actor="ops")


def test_publish_page__review_required__the_refusal_in_the_pages_language(client, settings, publisher, make_agent):
    settings.HIVE_REQUIRE_REVIEW = True
    agent = make_agent("cards")
    client.force_login(publisher)
    url = reverse("admin:agents_agent_publish", args=[agent.pk])

    client.cookies["django_language"] = "pt-br"
    portuguese = client.post(url, {"note": "go"}, follow=True).content.decode()
    assert "Este rascunho precisa ser aprovado por outro publicador antes de ser publicado." in portuguese

    client.cookies["django_language"] = "en"
    english = client.post(url, {"note": "go"}, follow=True).content.decode()
    assert "This draft needs approval by another publisher before it can be published." in english


def test_promote_page__team_member_not_live__the_refusal_in_portuguese(client, publisher, make_team):
    team = make_team("router", publish=True)
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(
        reverse("admin:teams_team_promote", args=[team.pk, "production"]),
        {"action": "promote", "version": "1", "note": "go"},
    )
    assert response.status_code == 302
    assert any(m.startswith("Ainda fora do ar em production: ") for m in messages_of(response)), messages_of(response)


def test_promote_page__source_moved__field_refusal_in_portuguese(client, publisher, make_agent):
    _v2_in_staging(make_agent)
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(
        reverse("admin:agents_agent_promote", args=[Agent.objects.get(agent_id="cards").pk, "production"]),
        {"action": "promote", "version": "1", "note": "old page"},
    )
    assert "staging agora serve a v2, não a v1: revise essa versão antes de promovê-la." in messages_of(response)


def test_rollback__unknown_version__portuguese_with_its_code__english_by_default(make_agent):
    make_agent("cards", publish=True)
    with translation.override("pt-br"), pytest.raises(ValidationError) as portuguese:
        component_rollback(kind=AGENT, component_id="cards", to_version=9, actor="ops", note="back")
    assert portuguese.value.message_dict == {"to_version": ["cards não tem a versão 9."]}
    assert portuguese.value.error_dict["to_version"][0].code == "unknown_version"

    with pytest.raises(ValidationError) as english:
        component_rollback(kind=AGENT, component_id="cards", to_version=9, actor="ops", note="back")
    assert english.value.message_dict == {"to_version": ["cards has no version 9."]}


def test_permission_refusal__a_whole_translated_sentence(make_agent, editor):
    make_agent("cards")
    with translation.override("pt-br"), pytest.raises(Exception) as refused:
        component_publish(kind=AGENT, component_id="cards", actor=editor)
    assert str(refused.value) == "Você não tem permissão para publicar."


def test_rollout_percent__portuguese_keeps_its_percent_signs(make_agent, publisher):
    _v2_in_staging(make_agent)
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        rollout_start(
            kind=AGENT, component_id="cards", environment="production", percent=100, actor=publisher, note="x"
        )
    assert refused.value.message_dict["percent"] == [
        "Uma liberação gradual serve a candidata a 1–99% das sessões; 100% é uma promoção."
    ]
    with pytest.raises(ValidationError) as english:
        rollout_start(kind=AGENT, component_id="cards", environment="production", percent=0, actor=publisher, note="x")
    assert english.value.message_dict["percent"] == [
        "A rollout serves the candidate to 1–99% of sessions; 100% is a promotion."
    ]


# --- Stored, so English ------------------------------------------------------------------------------------


def test_failed_schedule__its_stored_result_is_english_even_under_a_portuguese_request(make_agent, publisher):
    make_agent("cards", publish=True)
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="v2", description="Second")
    schedule = schedule_publish(
        component_type="agent",
        component_id="cards",
        run_at=timezone.now() + timedelta(minutes=5),
        actor=publisher,
        note="later",
    )
    publisher.groups.set(Group.objects.filter(name="Editor"))  # lost the publish permission meanwhile
    with translation.override("pt-br"):
        result = run_scheduled_release(schedule.pk, now=timezone.now() + timedelta(hours=1))
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.FAILED
    assert result == schedule.result == "You do not have permission to publish."


def test_failed_rollout_end__the_state_in_its_stored_result_is_english(make_agent, publisher):
    _v2_in_staging(make_agent)
    rollout = rollout_start(
        kind=AGENT, component_id="cards", environment="production", percent=10, actor=publisher, note="try"
    )
    schedule = schedule_rollout_end(
        rollout_id=rollout.pk, complete=True, run_at=timezone.now() + timedelta(minutes=5), actor=publisher, note="x"
    )
    rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor=publisher, reason="worse")
    with translation.override("pt-br"):
        run_scheduled_release(schedule.pk, now=timezone.now() + timedelta(hours=1))
    schedule.refresh_from_db()
    assert (schedule.state, schedule.result) == (ScheduleState.FAILED, "This rollout is already aborted.")

    with translation.override("pt-br"), pytest.raises(ValidationError) as shown:
        rollout_abort(kind=AGENT, rollout_id=rollout.pk, actor=publisher, reason="again")
    assert shown.value.messages == ["Esta liberação gradual já está interrompida."]


def test_edit_conflict__the_refusal_and_what_changed_in_portuguese():
    from versioning.diffs import summarize_changes
    from versioning.services import ConcurrentEditError

    with translation.override("pt-br"):
        refused = ConcurrentEditError(label="cards", changes={}, saved_by="eddie")
        lines = summarize_changes({"added": {"name": "Cartões"}, "removed": {"role": "x"}}, limit=1)
    assert refused.messages == [
        "cards foi alterado por eddie depois que você o abriu; suas alterações não foram salvas. Veja o que mudou "
        "nesse meio-tempo e aplique suas edições de novo."
    ]
    assert refused.code == "concurrent_edit"
    assert lines == ["name: adicionado Cartões", "… e mais 1"]
    assert summarize_changes({"removed": {"role": "x"}}) == ["role: removed"]  # English by default
