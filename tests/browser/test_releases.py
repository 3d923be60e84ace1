"""Rollouts and schedules in a real browser (Debian's Chromium driven by Playwright): under review one publisher
requests, another approves, the first starts a guarded rollout to 10% of production; worse metrics make the
guard abort it and its page says so with the figures; a second rollout with good metrics is completed and a
production runtime is served the candidate. A schedule is made, seen on the status panel and cancelled.
Every role, with and without a rollout running, sees the right buttons."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.services import agent_update
from hive_portal.testing import make_api_key
from monitoring.models import AgentMetric
from monitoring.rollout_guard import GUARD_ACTOR, guard_rollouts
from tests.browser.helpers import assert_message
from versioning.components import get_kind
from versioning.models import Rollout, RolloutState, ScheduledRelease, ScheduleState
from versioning.promotion import component_promote, promotion_approve, promotion_request
from versioning.rollouts import rollout_start
from versioning.selectors import live_version
from versioning.services import component_publish

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

AGENT = get_kind("agent")
ROLES = ("Viewer", "Prompt editor", "Publisher", "Admin")
CAN_PUBLISH = {"Publisher", "Admin"}


@pytest.fixture
def staged(make_agent) -> str:
    """cards: v1 in production, v2 in staging. Returns the change form's URL path."""
    agent = make_agent("cards", publish=True)
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="setup", note="v1")
    agent_update(agent=agent, actor="setup", note="Friendlier", role="Answers card questions kindly")
    component_publish(kind=AGENT, component_id="cards", actor="setup")
    return f"/admin/agents/agent/{agent.pk}/change/"


def _runs(version: int, count: int, *, failures: int = 0, ms: int = 800) -> None:
    AgentMetric.objects.bulk_create(
        AgentMetric(
            agent_id="cards", session_id=f"s{version}-{i}", response_time_ms=ms, tokens_used=100,
            success=i >= failures, config_version=version, created_at=timezone.now(),
        )
        for i in range(count)
    )  # fmt: skip


def _runtime_version(base: str, raw_key: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/agents/cards/config", headers={"Authorization": f"Bearer {raw_key}"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["metadata"]["hive"]["version"]


def _start_rollout_in_the_browser(page, promote_url: str, *, drop: str, note: str) -> None:
    page.goto(promote_url)
    page.fill("#id_percent", "10")
    page.fill("#id_max_success_drop_points", drop)
    page.fill("#id_min_runs", "20")
    page.fill("#rollout-form #id_note", note)
    page.click("#rollout-button")
    page.wait_for_url("**/admin/versioning/rollout/*/change/")
    assert_message(page, "Rolling out cards v2 to 10% of production")


def test_under_review__guarded_rollout__guard_aborts__second_rollout_completed(
    live_server, page_as, staged, settings, django_user_model
):
    settings.HIVE_REQUIRE_REVIEW = True  # after setting up: publishing v2 needed no review
    base = live_server.url
    change_url = f"{base}{staged}"
    promote_url = change_url.replace("/change/", "/promote/production/")
    _, production_key = make_api_key("prod-runtime", ["config:read"], environment="production")

    # paula requests, peter approves, paula rolls out to 10% with a guard.
    paula = page_as("Publisher", "paula")
    paula.goto(promote_url)
    assert paula.locator("#rollout-button").count() == 0  # review first
    paula.fill("#promotion-note", "v2 to a tenth of production")
    paula.click("#request-button")
    assert_message(paula, "another publisher reviews it")
    peter = page_as("Publisher", "peter")
    peter.goto(promote_url)
    peter.click("#approve-promotion")
    assert_message(peter, "Approved")
    _start_rollout_in_the_browser(paula, promote_url, drop="5", note="Friendlier wording, guarded")
    rollout = Rollout.objects.get()
    assert (rollout.percent, rollout.max_success_drop_points, rollout.state) == (10, 5.0, RolloutState.RUNNING)
    assert "Running" in paula.locator("#rollout-state").inner_text()

    paula.goto(change_url)
    assert "rolling out v2 to 10% (guarded)" in paula.locator("#environment-production").inner_text()

    # The candidate does clearly worse: the guard aborts the rollout, with its figures.
    _runs(1, 100, failures=2)  # 98%
    _runs(2, 40, failures=20)  # 50%
    assert [r.pk for r in guard_rollouts()] == [rollout.pk]
    paula.click("#environment-production a.rollout-link")
    assert "Aborted" in paula.locator("#rollout-state").inner_text()
    ended = paula.locator("#rollout-end").inner_text()
    assert GUARD_ACTOR in ended and "success rate 50.00% vs 98.00%" in ended
    figures = paula.locator("#rollout-figures").inner_text()
    for figure in ("100", "40", "98.0%", "50.0%", "800.0 ms"):
        assert figure in figures
    assert paula.locator("#complete-rollout").count() == 0
    assert paula.locator("#rollout-compare").get_attribute("href").endswith("?agent=cards&a=1&b=2")
    assert live_version("agent", "cards", "production").version == 1
    assert _runtime_version(base, production_key) == 1

    # A second run: approved again, metrics good this time, paula completes it.
    paula_user = django_user_model.objects.get(username="paula")
    peter_user = django_user_model.objects.get(username="peter")
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=paula_user, note="Again")
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=peter_user)
    _start_rollout_in_the_browser(paula, promote_url, drop="5", note="Second try")
    _runs(1, 50, failures=1)
    _runs(2, 50, failures=1)
    assert guard_rollouts() == []
    paula.reload()
    assert "50" in paula.locator("#rollout-figures").inner_text()
    paula.fill("#complete-note", "Holds up")
    paula.click("#complete-rollout")
    assert_message(paula, "Rollout completed: production serves cards v2 to everyone")
    assert "Completed" in paula.locator("#rollout-state").inner_text()
    assert "paula" in paula.locator("#rollout-end").inner_text()
    assert live_version("agent", "cards", "production").version == 2
    assert _runtime_version(base, production_key) == 2


def test_schedule__made_in_the_browser__on_the_status_panel__cancelled(live_server, page_as, make_agent):
    agent = make_agent("cards", publish=True)
    agent_update(agent=agent, actor="setup", note="Friendlier", role="Answers card questions kindly")
    base = live_server.url
    change_url = f"{base}/admin/agents/agent/{agent.pk}/change/"
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)

    page = page_as("Publisher", "paula")
    page.goto(change_url)
    page.click("#publish-link")
    assert "time zone (UTC)" in page.locator("#schedule-fieldset").inner_text()
    page.fill("#publish-note", "Monday morning")
    page.fill("#id_run_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.click("#schedule-button")
    page.wait_for_url(change_url)
    assert_message(page, "Scheduled: cards — Publishes v2")
    panel = page.locator("#upcoming-schedules").inner_text()
    assert f"Publishes v2 at {when:%Y-%m-%d %H:%M}, scheduled by paula" in panel
    schedule = ScheduledRelease.objects.get()
    assert schedule.run_at == when and schedule.note == "Monday morning"

    page.click("#upcoming-schedules .schedule-cancel")  # a confirm() the fixture accepts
    assert_message(page, "Cancelled: cards — Publishes v2")
    assert page.locator("#upcoming-schedules").count() == 0
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.CANCELLED
    assert live_version("agent", "cards", "staging").version == 1


@pytest.mark.parametrize("running", [True, False], ids=["rollout", "no_rollout"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role__with_and_without_a_rollout__the_right_buttons(live_server, page_as, staged, role, running):
    if running:
        rollout_start(
            kind=AGENT, component_id="cards", environment="production", percent=10, actor="setup", note="try",
            max_success_drop_points=5,
        )  # fmt: skip
    base = live_server.url
    page = page_as(role)
    page.goto(f"{base}{staged}")
    publisher = role in CAN_PUBLISH
    assert page.locator("#rollout-production").count() == int(running)
    assert page.locator("#promote-production").count() == int(publisher and not running)  # it waits for the end

    page.goto(f"{base}{staged.replace('/change/', '/promote/production/')}")
    got = {
        "rollout-link": page.locator("#rollout-link").count() == 1,
        "rollout-button": page.locator("#rollout-button").count() == 1,
        "promote-button": page.locator("#promote-button").count() == 1,
        "schedule-button": page.locator("#schedule-button").count() == 1,
    }
    assert got == {
        "rollout-link": running,
        "rollout-button": publisher and not running,
        "promote-button": publisher and not running,
        "schedule-button": publisher and not running,
    }
    if running:
        page.click("#rollout-link")
        buttons = {b: page.locator(f"#{b}").count() == 1 for b in ("complete-rollout", "abort-rollout", "schedule-end")}
        assert buttons == dict.fromkeys(buttons, publisher)
        assert "10%" in page.locator("#rollout-summary").inner_text()
