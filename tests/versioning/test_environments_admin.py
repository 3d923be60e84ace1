"""Environments in the admin: each environment's version on the status panel, the promotion page (promote,
or request / approve / reject / cancel under HIVE_REQUIRE_REVIEW), environment rollback on the history page,
and the "what was live when" page. Service refusals are messages on the page, never errors."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from versioning.components import get_kind
from versioning.models import EnvironmentRelease, PromotionRequest, PromotionState
from versioning.promotion import component_promote, promotion_approve, promotion_request
from versioning.selectors import environment_versions, live_version
from versioning.services import component_publish

pytestmark = pytest.mark.django_db

AGENT = get_kind("agent")


def url(name, agent, *args):
    return reverse(f"admin:agents_agent_{name}", args=[agent.pk, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _promote(note="Staging looked good", actor="ops"):
    return component_promote(kind=AGENT, component_id="cards", environment="production", actor=actor, note=note)


def _publish_v2(agent):
    agent.refresh_from_db()
    agent_update(agent=agent, actor="eddie", note="Friendlier", role="Answers card questions kindly")
    component_publish(kind=AGENT, component_id="cards", actor="ops")


@pytest.fixture
def staging_ahead(make_agent):
    """cards: v1 in production, v2 in staging."""
    agent = make_agent("cards", publish=True)
    _promote()
    _publish_v2(agent)
    return agent


def _production_number():
    version = live_version("agent", "cards", "production")
    return version.version if version else None


# --- The status panel --------------------------------------------------------------------------------


def test_status_panel__publisher__each_environment_compare_and_promote(client, publisher, staging_ahead):
    client.force_login(publisher)
    html = client.get(url("change", staging_ahead)).content.decode()
    assert 'id="environment-staging"' in html and 'id="environment-production"' in html
    assert f"{url('compare', staging_ahead)}?a=1&amp;b=2" in html
    assert 'id="promote-production"' in html and "Promote v2 to production" in html


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_status_panel__viewer_and_editor__environments_without_promote(client, request, role, staging_ahead):
    client.force_login(request.getfixturevalue(role))
    html = client.get(url("change", staging_ahead)).content.decode()
    assert 'id="environment-production"' in html and "Compare" in html
    assert 'id="promote-production"' not in html
    assert url("promote", staging_ahead, "production") in html  # read-only: what promotion would change


def test_status_panel__production_equal__no_compare_no_promote(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    _promote()
    client.force_login(publisher)
    html = client.get(url("change", agent)).content.decode()
    assert 'id="environment-production"' in html and 'id="promote-production"' not in html
    assert "?a=" not in html


def test_status_panel__never_promoted__production_not_live(client, publisher, make_agent):
    agent = make_agent("cards", publish=True)
    client.force_login(publisher)
    html = client.get(url("change", agent)).content.decode()
    assert "not live" in html and "Promote v1 to production" in html


# --- Promotion ----------------------------------------------------------------------------------------


def test_promote_page__shows_the_diff_production_would_get(client, viewer, staging_ahead):
    client.force_login(viewer)
    response = client.get(url("promote", staging_ahead, "production"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "kindly" in html  # the diff from production's v1 to staging's v2
    assert "promote-button" not in html and "request-button" not in html  # read-only for viewers


def test_promote__publisher__production_serves_the_same_version(client, publisher, staging_ahead):
    client.force_login(publisher)
    response = client.post(
        url("promote", staging_ahead, "production"), {"action": "promote", "version": "2", "note": "Ship it"}
    )
    assert response.status_code == 302 and response.url == url("change", staging_ahead)
    versions = environment_versions("agent", "cards")
    assert versions["production"].pk == versions["staging"].pk  # the same row, so the same hash
    assert any("Promoted cards v2 to production" in m for m in messages_of(response))
    row = AuditRecord.objects.filter(action=AuditAction.PROMOTED).latest("id")
    assert (row.environment, row.actor_name, row.reason, row.to_version) == (
        "production",
        publisher.username,
        "Ship it",
        2,
    )


def test_promote__without_note__message_and_nothing_promoted(client, publisher, staging_ahead):
    client.force_login(publisher)
    response = client.post(url("promote", staging_ahead, "production"), {"action": "promote", "version": "2"})
    assert response.status_code == 302 and response.url == url("promote", staging_ahead, "production")
    assert any("note is required" in m for m in messages_of(response))
    assert _production_number() == 1


def test_promote__staging_moved_since_the_page_was_shown__refused(client, publisher, staging_ahead):
    client.force_login(publisher)
    response = client.post(
        url("promote", staging_ahead, "production"), {"action": "promote", "version": "1", "note": "old page"}
    )
    assert any("now serves v2, not v1" in m for m in messages_of(response))
    assert _production_number() == 1


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_promote__viewer_or_editor__refused(client, request, role, staging_ahead):
    client.force_login(request.getfixturevalue(role))
    response = client.post(
        url("promote", staging_ahead, "production"), {"action": "promote", "version": "2", "note": "x"}
    )
    assert response.status_code == 403
    assert _production_number() == 1


@pytest.mark.parametrize("environment", ["qa", "staging"])  # unknown; the first is published to, not promoted to
def test_promote_page__bad_environment__message_not_an_error(client, publisher, staging_ahead, environment):
    client.force_login(publisher)
    response = client.get(url("promote", staging_ahead, environment))
    assert response.status_code == 302 and response.url == url("change", staging_ahead)
    assert messages_of(response)


def test_promote__team_whose_member_is_not_in_production__refused_with_message(client, publisher, make_team):
    team = make_team("router", publish=True)
    client.force_login(publisher)
    response = client.post(
        reverse("admin:teams_team_promote", args=[team.pk, "production"]),
        {"action": "promote", "version": "1", "note": "go"},
    )
    assert response.status_code == 302
    assert any("Not live in production yet" in m for m in messages_of(response))
    assert not EnvironmentRelease.objects.exists()


# --- Review (four eyes) ---------------------------------------------------------------------------------


@pytest.fixture
def review_on(settings):
    settings.HIVE_REQUIRE_REVIEW = True


def _open_request():
    return PromotionRequest.objects.filter(state__in=["requested", "approved"]).first()


def test_review__request_then_another_publisher_approves_then_promote(
    client, publisher, second_publisher, staging_ahead, review_on
):
    promote_url = url("promote", staging_ahead, "production")
    client.force_login(publisher)
    html = client.get(promote_url).content.decode()
    assert "request-button" in html and "promote-button" not in html
    client.post(promote_url, {"action": "promote", "version": "2", "note": "no review"})
    assert _production_number() == 1  # refused without an approved request
    client.post(promote_url, {"action": "request", "version": "2", "note": "Please review"})
    assert _open_request().state == PromotionState.REQUESTED
    html = client.get(promote_url).content.decode()
    assert "approve-promotion" not in html and "cancel-promotion" in html  # the requester does not review
    response = client.post(promote_url, {"action": "approve"})
    assert any("other than the requester" in m for m in messages_of(response))
    assert _open_request().state == PromotionState.REQUESTED

    client.force_login(second_publisher)
    assert "approve-promotion" in client.get(promote_url).content.decode()
    client.post(promote_url, {"action": "approve", "note": "Looks right"})
    assert _open_request().state == PromotionState.APPROVED

    client.force_login(publisher)
    assert "promote-button" in client.get(promote_url).content.decode()
    response = client.post(promote_url, {"action": "promote", "version": "2", "note": "Approved by Peter"})
    assert response.status_code == 302 and response.url == url("change", staging_ahead)
    assert _production_number() == 2
    assert PromotionRequest.objects.get().state == PromotionState.DONE


def test_review__reject_needs_a_reason(client, publisher, second_publisher, staging_ahead, review_on):
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="Please review")
    client.force_login(second_publisher)
    promote_url = url("promote", staging_ahead, "production")
    response = client.post(promote_url, {"action": "reject", "note": ""})
    assert any("reason is required" in m for m in messages_of(response))
    client.post(promote_url, {"action": "reject", "note": "Wrong tone"})
    rejected = PromotionRequest.objects.get()
    assert (rejected.state, rejected.review_comment) == (PromotionState.REJECTED, "Wrong tone")
    assert _production_number() == 1


def test_review__requester_cancels(client, publisher, staging_ahead, review_on):
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="x")
    client.force_login(publisher)
    response = client.post(url("promote", staging_ahead, "production"), {"action": "cancel"})
    assert any("cancelled" in m for m in messages_of(response))
    assert PromotionRequest.objects.get().state == PromotionState.CANCELLED


def test_review__editor_may_not_request_approve_or_cancel(client, editor, publisher, staging_ahead, review_on):
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="x")
    client.force_login(editor)
    promote_url = url("promote", staging_ahead, "production")
    html = client.get(promote_url).content.decode()
    assert "Waiting for review" in html and "approve-promotion" not in html and "cancel-promotion" not in html
    for action in ("request", "approve", "cancel"):
        assert client.post(promote_url, {"action": action, "note": "x"}).status_code == 403
    assert PromotionRequest.objects.get().state == PromotionState.REQUESTED


def test_review__open_request_shown_on_the_status_panel(client, viewer, publisher, second_publisher, staging_ahead):
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="x")
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    client.force_login(viewer)
    html = client.get(url("change", staging_ahead)).content.decode()
    assert "v2 approved" in html and f"requested by {publisher.username}" in html


# --- Environment rollback on the history page ------------------------------------------------------------


@pytest.fixture
def production_moved_on(staging_ahead):
    _promote(note="v2 to production")  # production: v1, then v2
    return staging_ahead


def test_history__publisher_rolls_production_back_to_a_version_it_served(client, publisher, production_moved_on):
    client.force_login(publisher)
    html = client.get(url("versions", production_moved_on)).content.decode()
    assert 'id="rollback-production"' in html and '<option value="1">v1</option>' in html
    response = client.post(
        url("environment_rollback", production_moved_on, "production"), {"to_version": "1", "note": "v2 misroutes"}
    )
    assert response.status_code == 302 and response.url == url("versions", production_moved_on)
    assert _production_number() == 1
    assert live_version("agent", "cards", "staging").version == 2  # staging is untouched
    row = AuditRecord.objects.filter(action=AuditAction.ROLLED_BACK).latest("id")
    assert (row.environment, row.from_version, row.to_version) == ("production", 2, 1)


def test_history__rollback_to_a_version_never_in_production__message(client, publisher, staging_ahead):
    client.force_login(publisher)
    response = client.post(url("environment_rollback", staging_ahead, "production"), {"to_version": "2", "note": "try"})
    assert any("never live in production" in m for m in messages_of(response))
    response = client.post(url("environment_rollback", staging_ahead, "production"), {"to_version": "x"})
    assert any("Choose the version" in m for m in messages_of(response))
    assert _production_number() == 1


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_history__viewer_or_editor__sees_environments_but_cannot_roll_back(client, request, role, production_moved_on):
    client.force_login(request.getfixturevalue(role))
    html = client.get(url("versions", production_moved_on)).content.decode()
    assert 'id="environments"' in html and 'id="rollback-production"' not in html
    response = client.post(
        url("environment_rollback", production_moved_on, "production"), {"to_version": "1", "note": "x"}
    )
    assert response.status_code == 403
    assert _production_number() == 2


# --- The changelist ---------------------------------------------------------------------------------------------


def test_changelist__production_version_without_a_query_per_row(client, viewer, make_agent):
    make_agent("cards", publish=True)
    _promote()
    client.force_login(viewer)
    changelist = reverse("admin:agents_agent_changelist")
    with CaptureQueriesContext(connection) as one:
        html = client.get(changelist).content.decode()
    assert "production v1" in html
    for n in range(5):
        make_agent(f"agent-{n}", publish=True, name=f"Agent {n}")
        component_promote(kind=AGENT, component_id=f"agent-{n}", environment="production", actor="ops", note="go")
    with CaptureQueriesContext(connection) as six:
        client.get(changelist)
    assert Agent.objects.count() == 6
    assert len(six) <= len(one) + 1, [q["sql"] for q in six.captured_queries]


# --- What was live when ----------------------------------------------------------------------------------------


LIVE_AT = "admin:versioning_live_at"


def test_live_at__default__production_now(client, viewer, staging_ahead):
    client.force_login(viewer)
    response = client.get(reverse(LIVE_AT))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert response.context["environment"] == "production"
    assert [(r.component_id, r.version) for r in rows] == [("cards", 1)]
    html = response.content.decode()
    version_1 = live_version("agent", "cards", "production")
    assert reverse("admin:versioning_componentversion_change", args=[version_1.pk]) in html
    assert version_1.content_hash[:12] in html


def test_live_at__a_time_before_the_promotion__the_earlier_version(client, viewer, staging_ahead):
    before = timezone.now()
    _promote(note="v2 to production")
    client.force_login(viewer)
    at = timezone.localtime(before).strftime("%Y-%m-%dT%H:%M:%S.%f")
    earlier = client.get(reverse(LIVE_AT), {"environment": "production", "at": at}).context["rows"]
    now = client.get(reverse(LIVE_AT), {"environment": "production"}).context["rows"]
    assert [r.version for r in earlier] == [1] and [r.version for r in now] == [2]
    staging = client.get(reverse(LIVE_AT), {"environment": "staging", "at": at}).context["rows"]
    assert [r.version for r in staging] == [2]


def test_live_at__before_anything_was_live__empty(client, viewer, staging_ahead):
    client.force_login(viewer)
    at = timezone.localtime(timezone.now() - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M")
    response = client.get(reverse(LIVE_AT), {"environment": "production", "at": at})
    assert response.context["rows"] == [] and "Nothing was live in production then" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [({"environment": "qa"}, "environment"), ({"environment": "production", "at": "yesterday-ish"}, "at")],
)
def test_live_at__bad_input__form_error_not_a_500(client, viewer, query, field):
    client.force_login(viewer)
    response = client.get(reverse(LIVE_AT), query)
    assert response.status_code == 200
    assert field in response.context["form"].errors and response.context["rows"] is None


def test_live_at__linked_from_the_audit_log(client, viewer):
    client.force_login(viewer)
    html = client.get(reverse("admin:audit_auditrecord_changelist")).content.decode()
    assert reverse(LIVE_AT) in html


def test_routing__environments_on_its_page_and_promotion_after_its_agents(client, publisher, make_agent):
    from typification.models import ROUTING_ID, RoutingTable
    from typification.services import business_unit_route_create, routing_publish, typification_create

    cards = make_agent("cards", publish=True)
    typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"], actor="setup", reason="set up")
    business_unit_route_create(business_unit="PagBank", agent=cards, actor="setup", reason="set up")
    routing_publish(actor="setup")
    routing = RoutingTable.objects.get()
    client.force_login(publisher)
    html = client.get(reverse("admin:typification_routingtable_change", args=[routing.pk])).content.decode()
    assert 'id="environment-production"' in html and 'id="promote-production"' in html
    promote_url = reverse("admin:typification_routingtable_promote", args=[routing.pk, "production"])
    assert client.get(promote_url).status_code == 200
    response = client.post(promote_url, {"action": "promote", "version": "1", "note": "go"})
    assert any("agent cards" in m.lower() or "Not live in production" in m for m in messages_of(response))
    assert live_version("routing", ROUTING_ID, "production") is None
    _promote()  # its agent first
    client.post(promote_url, {"action": "promote", "version": "1", "note": "go"})
    assert live_version("routing", ROUTING_ID, "production").version == 1
