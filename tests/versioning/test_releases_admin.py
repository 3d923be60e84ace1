"""Rollouts and scheduled releases in the admin: a rollout started from the promotion page, shown on the status
panel and on its own page (the guard's figures, Complete, Abort, End at), schedules made on the publish and
promotion pages, shown on the status panel and cancelled; the lists. Service refusals are form errors or
messages, never errors; viewers and editors read only."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from versioning.components import get_kind
from versioning.models import Rollout, RolloutState, ScheduledAction, ScheduledRelease, ScheduleState
from versioning.promotion import component_promote, promotion_approve, promotion_request
from versioning.rollouts import rollout_abort, rollout_start
from versioning.schedules import schedule_publish
from versioning.selectors import live_version
from versioning.services import component_publish

pytestmark = pytest.mark.django_db

AGENT = get_kind("agent")
ROLLOUT_LIST = reverse("admin:versioning_rollout_changelist")
SCHEDULE_LIST = reverse("admin:versioning_scheduledrelease_changelist")


def url(name, agent, *args):
    return reverse(f"admin:agents_agent_{name}", args=[agent.pk, *args])


def rollout_page(rollout):
    return reverse("admin:versioning_rollout_change", args=[rollout.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def local_input(when) -> str:
    """``when`` as a ``datetime-local`` input sends it: wall-clock time in the portal's time zone."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def _draft(description="Second"):
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="v2", description=description)


@pytest.fixture
def staged(make_agent):
    """cards: v1 in production, v2 in staging."""
    agent = make_agent("cards", publish=True)
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="paula", note="v1")
    _draft()
    component_publish(kind=AGENT, component_id="cards", actor="paula")
    return agent


def _start(actor="paula", **kwargs):
    return rollout_start(
        kind=AGENT, component_id="cards", environment="production", percent=10, actor=actor, note="try v2",
        **kwargs,
    )  # fmt: skip


ROLLOUT_FORM = {
    "action": "rollout",
    "version": "2",
    "percent": "10",
    "max_success_drop_points": "5",
    "max_p95_increase_percent": "",
    "min_runs": "50",
    "note": "v2 to a tenth",
}


# --- Starting a rollout from the promotion page ----------------------------------------------------------


def test_promote_page__publisher__offers_the_rollout_form_beside_promote(client, publisher, staged):
    client.force_login(publisher)
    html = client.get(url("promote", staged, "production")).content.decode()
    assert 'id="promote-button"' in html and 'id="rollout-button"' in html
    assert "Roll out v2 to a share of production" in html
    assert 'name="min_runs" value="50"' in html
    assert 'type="datetime-local"' in html and "time zone (UTC)" in html


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_promote_page__viewer_or_editor__no_rollout_nor_schedule_and_posting_is_refused(client, request, role, staged):
    client.force_login(request.getfixturevalue(role))
    html = client.get(url("promote", staged, "production")).content.decode()
    assert "rollout-button" not in html and "schedule-button" not in html
    assert client.post(url("promote", staged, "production"), ROLLOUT_FORM).status_code == 403
    assert not Rollout.objects.exists()


def test_start_rollout__publisher__guarded_rollout_and_its_page(client, publisher, staged):
    client.force_login(publisher)
    response = client.post(url("promote", staged, "production"), ROLLOUT_FORM)
    rollout = Rollout.objects.get()
    assert response.status_code == 302 and response.url == rollout_page(rollout)
    assert (rollout.percent, rollout.max_success_drop_points, rollout.max_p95_increase_percent, rollout.min_runs) == (
        10,
        5.0,
        None,
        50,
    )
    assert rollout.started_by == publisher and rollout.guarded
    assert any("Rolling out cards v2 to 10% of production (guarded)" in m for m in messages_of(response))
    assert live_version("agent", "cards", "production").version == 1


@pytest.mark.parametrize("percent", ["0", "100", "", "ten", "-3"])
def test_start_rollout__bad_percent__form_error_and_no_rollout(client, publisher, staged, percent):
    client.force_login(publisher)
    response = client.post(url("promote", staged, "production"), {**ROLLOUT_FORM, "percent": percent})
    assert response.status_code == 200
    assert response.context["rollout_form"].errors["percent"]
    assert not Rollout.objects.exists()


def test_start_rollout__negative_threshold__form_error(client, publisher, staged):
    client.force_login(publisher)
    response = client.post(url("promote", staged, "production"), {**ROLLOUT_FORM, "max_p95_increase_percent": "-1"})
    assert response.status_code == 200 and "max_p95_increase_percent" in response.context["rollout_form"].errors
    assert not Rollout.objects.exists()


def test_start_rollout__service_refusal__form_error_not_500(client, publisher, staged):
    _start()  # one is running already
    client.force_login(publisher)
    response = client.post(url("promote", staged, "production"), ROLLOUT_FORM)
    assert response.status_code == 200
    assert "already has a rollout running" in str(response.context["rollout_form"].non_field_errors())
    assert Rollout.objects.count() == 1


def test_start_rollout__under_review__needs_the_approved_request(client, publisher, second_publisher, staged, settings):
    settings.HIVE_REQUIRE_REVIEW = True
    promote_url = url("promote", staged, "production")
    client.force_login(publisher)
    assert "rollout-button" not in client.get(promote_url).content.decode()  # request first
    response = client.post(promote_url, ROLLOUT_FORM)
    assert response.status_code == 200 and "approved promotion request" in str(response.context["rollout_form"])
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="v2")
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    assert "rollout-button" in client.get(promote_url).content.decode()
    assert client.post(promote_url, ROLLOUT_FORM).status_code == 302
    assert Rollout.objects.get().state == RolloutState.RUNNING


def test_promote_page__rollout_running__links_it_instead_of_promoting(client, publisher, staged):
    rollout = _start()
    client.force_login(publisher)
    html = client.get(url("promote", staged, "production")).content.decode()
    assert rollout_page(rollout) in html and "promote-button" not in html and "rollout-button" not in html


# --- The status panel -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "publisher"])
def test_status_panel__rollout_running__says_so_with_a_link(client, request, role, staged):
    rollout = _start(max_success_drop_points=2)
    client.force_login(request.getfixturevalue(role))
    html = client.get(url("change", staged)).content.decode()
    assert "rolling out" in html and "to 10% (guarded)" in html and rollout_page(rollout) in html
    assert 'id="promote-production"' not in html  # promoting waits for the rollout to end


# --- The rollout's page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_rollout_page__viewer_or_editor__read_only(client, request, role, staged):
    rollout = _start()
    client.force_login(request.getfixturevalue(role))
    html = client.get(rollout_page(rollout)).content.decode()
    assert "v1" in html and "v2" in html and "10%" in html
    assert "complete-rollout" not in html and "abort-rollout" not in html and "schedule-end" not in html
    assert client.post(rollout_page(rollout), {"action": "complete"}).status_code == 403
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.RUNNING


def test_rollout_page__links_the_comparison_dashboard(client, viewer, staged):
    rollout = _start()
    client.force_login(viewer)
    html = client.get(rollout_page(rollout)).content.decode()
    assert f"{reverse('admin:monitoring_agentmetric_compare')}?agent=cards&amp;a=1&amp;b=2" in html


def test_rollout_page__publisher_completes__production_serves_the_candidate(client, publisher, staged):
    rollout = _start()
    client.force_login(publisher)
    html = client.get(rollout_page(rollout)).content.decode()
    assert "complete-rollout" in html and "abort-rollout" in html
    response = client.post(rollout_page(rollout), {"action": "complete", "note": "Looks good"})
    assert response.status_code == 302
    rollout.refresh_from_db()
    assert (rollout.state, rollout.ended_by_name, rollout.end_reason) == ("completed", publisher.username, "Looks good")
    assert live_version("agent", "cards", "production").version == 2
    html = client.get(rollout_page(rollout)).content.decode()
    assert "complete-rollout" not in html and publisher.username in html and "Looks good" in html


def test_rollout_page__abort_needs_a_reason(client, publisher, staged):
    rollout = _start()
    client.force_login(publisher)
    response = client.post(rollout_page(rollout), {"action": "abort", "reason": " "})
    assert response.status_code == 302 and any("reason is required" in m for m in messages_of(response))
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.RUNNING
    client.post(rollout_page(rollout), {"action": "abort", "reason": "Complaints"})
    rollout.refresh_from_db()
    assert (rollout.state, rollout.end_reason) == ("aborted", "Complaints")
    assert live_version("agent", "cards", "production").version == 1
    response = client.post(rollout_page(rollout), {"action": "complete"})  # ended meanwhile: a message
    assert any("already aborted" in m for m in messages_of(response))


def test_rollout_page__aborted_by_the_guard__its_reason_and_figures(client, viewer, staged):
    rollout = _start(max_success_drop_points=5)
    figures = {
        "baseline": {"version": 1, "runs": 120, "success_rate": 98.33, "p95_ms": 800.0},
        "candidate": {"version": 2, "runs": 60, "success_rate": 71.67, "p95_ms": 950.0},
        "at": timezone.now().isoformat(),
    }
    rollout_abort(
        kind=AGENT, rollout_id=rollout.pk, actor="rollout-guard", reason="Guard: v2 is worse", figures=figures
    )
    client.force_login(viewer)
    html = client.get(rollout_page(rollout)).content.decode()
    assert "rollout-guard" in html and "Guard: v2 is worse" in html
    for figure in ("120", "98.33%", "800.0 ms", "60", "71.67%", "950.0 ms"):
        assert figure in html


def test_rollout_page__schedule_the_end(client, publisher, staged):
    rollout = _start()
    client.force_login(publisher)
    when = timezone.now() + timedelta(hours=3)
    response = client.post(
        rollout_page(rollout),
        {"action": "schedule_end", "end": "abort", "run_at": local_input(when), "note": "Night off"},
    )
    assert response.status_code == 302
    schedule = ScheduledRelease.objects.get()
    assert (schedule.action, schedule.rollout_id) == (ScheduledAction.ABORT_ROLLOUT, rollout.pk)
    assert "Aborts the rollout of v2 in production" in client.get(rollout_page(rollout)).content.decode()
    response = client.post(
        rollout_page(rollout),
        {"action": "schedule_end", "end": "complete", "run_at": local_input(timezone.now() - timedelta(hours=1)),
         "note": "x"},
    )  # fmt: skip
    assert response.status_code == 200 and response.context["end_form"].errors["run_at"]


# --- Scheduling -----------------------------------------------------------------------------------------


def test_schedule_publish__from_the_publish_page__read_in_the_portal_time_zone(client, publisher, make_agent, settings):
    settings.TIME_ZONE = "America/Sao_Paulo"
    agent = make_agent("cards", publish=True)
    _draft()
    client.force_login(publisher)
    when = (
        (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo("America/Sao_Paulo")).replace(second=0, microsecond=0)
    )
    response = client.post(
        url("publish", agent), {"action": "schedule", "run_at": when.strftime("%Y-%m-%dT%H:%M"), "note": ""}
    )
    assert response.status_code == 302 and response.url == url("change", agent)
    schedule = ScheduledRelease.objects.get()
    assert schedule.run_at == when
    assert (schedule.action, schedule.version.version, schedule.note) == (ScheduledAction.PUBLISH, 2, "v2")
    assert live_version("agent", "cards", "staging").version == 1  # not now
    html = client.get(url("change", agent)).content.decode()
    assert f"Publishes v2 at {when:%Y-%m-%d %H:%M}, scheduled by {publisher.username}" in html


def test_schedule_publish__a_past_time__form_error(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    _draft()
    client.force_login(publisher)
    past = local_input(timezone.now() - timedelta(hours=1))
    response = client.post(url("publish", agent), {"action": "schedule", "run_at": past, "note": "x"})
    assert response.status_code == 200
    assert "in the future" in str(response.context["schedule_form"].errors["run_at"])
    response = client.post(url("publish", agent), {"action": "schedule", "run_at": "", "note": "x"})
    assert response.status_code == 200 and response.context["schedule_form"].errors["run_at"]
    assert not ScheduledRelease.objects.exists()


def test_schedule_promote__from_the_promotion_page(client, publisher, staged):
    client.force_login(publisher)
    when = timezone.now() + timedelta(days=1)
    response = client.post(
        url("promote", staged, "production"), {"action": "schedule", "run_at": local_input(when), "note": "Monday"}
    )
    assert response.status_code == 302
    schedule = ScheduledRelease.objects.get()
    assert (schedule.action, schedule.environment, schedule.version.version) == ("promote", "production", 2)
    assert "Promotes v2 to production at" in client.get(url("change", staged)).content.decode()
    response = client.post(url("promote", staged, "production"), {"action": "schedule", "run_at": local_input(when)})
    assert response.status_code == 200 and response.context["schedule_form"].errors["note"]


def _scheduled(publisher):
    _draft()
    return schedule_publish(
        component_type="agent", component_id="cards", run_at=timezone.now() + timedelta(days=1), actor=publisher,
        note="Monday",
    )  # fmt: skip


def test_schedule_cancel__publisher_from_the_status_panel(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    schedule = _scheduled(publisher)
    client.force_login(publisher)
    html = client.get(url("change", agent)).content.decode()
    cancel_url = reverse("admin:versioning_scheduledrelease_cancel", args=[schedule.pk])
    assert cancel_url in html
    response = client.post(cancel_url, {"next": url("change", agent)})
    assert response.status_code == 302 and response.url == url("change", agent)
    schedule.refresh_from_db()
    assert (schedule.state, schedule.cancelled_by_name) == (ScheduleState.CANCELLED, publisher.username)
    assert f'id="schedule-{schedule.pk}"' not in client.get(url("change", agent)).content.decode()
    response = client.post(cancel_url)  # twice: a message
    assert any("nothing to cancel" in m for m in messages_of(response))


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_schedule__viewer_or_editor__sees_it_without_cancel(client, request, role, make_agent, publisher):
    agent = make_agent("cards", publish=True)
    schedule = _scheduled(publisher)
    client.force_login(request.getfixturevalue(role))
    cancel_url = reverse("admin:versioning_scheduledrelease_cancel", args=[schedule.pk])
    html = client.get(url("change", agent)).content.decode()
    assert "Publishes v2" in html and cancel_url not in html
    assert cancel_url not in client.get(SCHEDULE_LIST).content.decode()
    html = client.get(url("publish", agent)).content.decode()
    assert "schedule-button" not in html
    assert client.post(cancel_url).status_code == 403
    assert client.post(url("publish", agent), {"action": "schedule", "run_at": "2026-12-01T09:00"}).status_code == 403
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.SCHEDULED


def test_schedule_list__cancel_action_and_the_schedule_page(client, publisher, make_agent):
    make_agent("cards", publish=True)
    schedule = _scheduled(publisher)
    client.force_login(publisher)
    html = client.get(reverse("admin:versioning_scheduledrelease_change", args=[schedule.pk])).content.decode()
    assert 'id="cancel-schedule"' in html
    response = client.post(
        SCHEDULE_LIST, {"action": "cancel_selected", "_selected_action": [schedule.pk], "index": "0"}
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.CANCELLED


# --- The lists: no query per row ------------------------------------------------------------------------


def test_lists__render_without_a_query_per_row(client, publisher, make_agent, django_assert_max_num_queries):
    for number in range(6):
        agent_id = f"agent-{number}"
        make_agent(agent_id, publish=True)
        component_promote(kind=AGENT, component_id=agent_id, environment="production", actor="paula", note="v1")
        agent_update(agent=Agent.objects.get(agent_id=agent_id), actor="eddie", note="v2", description="Second")
        component_publish(kind=AGENT, component_id=agent_id, actor="paula")
        rollout_start(
            kind=AGENT, component_id=agent_id, environment="production", percent=10, actor="paula", note="try"
        )
        agent_update(agent=Agent.objects.get(agent_id=agent_id), actor="eddie", note="v3", description="Third")
        schedule_publish(
            component_type="agent", component_id=agent_id, run_at=timezone.now() + timedelta(days=1),
            actor=publisher, note="later",
        )  # fmt: skip
    client.force_login(publisher)
    for list_url in (ROLLOUT_LIST, SCHEDULE_LIST):
        with django_assert_max_num_queries(12):
            response = client.get(list_url)
        assert response.status_code == 200 and response.content.decode().count("agent-") >= 6
