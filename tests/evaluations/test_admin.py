"""The evaluations admin: the case form, the panel on the publish and promote pages, the override, runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from evaluations.models import EvalCase, EvalRun
from teams.models import Team
from tests.evaluations.conftest import CARDS_RULE, edit_team, evaluate, publish
from versioning.selectors import component_status, published_version

pytestmark = pytest.mark.django_db

TEAM = "customer-service-router"
ADD_URL = "/admin/evaluations/evalcase/add/"


def _case_form(**overrides):
    data = {
        "component": "agent:pix-specialist", "name": "Golpe", "message": "Caí num golpe", "context": "",
        "critical": "on", "is_active": "on", "expected_member": "", "must_contain": "MED\n/80 dias/",
        "must_not_contain": "senha", "max_length": "400", "tools_called": 'pix_transaction_lookup {"id": "E1"}',
        "tools_not_called": "block_card", "output_schema": "", "tool_results": "pix_transaction_lookup: R$ 500",
        "judge_rubric": "", "judge_min_score": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_case_form__lines_become_lists__audited(client, editor, demo):
    client.force_login(editor)
    response = client.post(ADD_URL, _case_form(context="customer: Oi\nagent: Olá, como ajudo?"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = EvalCase.objects.get()
    assert (case.component_type, case.component_id, case.critical) == ("agent", "pix-specialist", True)
    assert case.must_contain == ["MED", "/80 dias/"] and case.must_not_contain == ["senha"]
    assert case.tools_called == [{"name": "pix_transaction_lookup", "arguments": {"id": "E1"}}]
    assert case.tool_results == {"pix_transaction_lookup": "R$ 500"}
    assert case.context == [{"role": "user", "content": "Oi"}, {"role": "assistant", "content": "Olá, como ajudo?"}]
    record = AuditRecord.objects.get(subject_type="test_case")
    assert (record.action, record.actor_name, record.subject_id) == ("created", "eddie-editor", str(case.pk))
    # The change form shows the lists as lines again.
    page = client.get(f"/admin/evaluations/evalcase/{case.pk}/change/").content.decode()
    assert "pix_transaction_lookup {&quot;id&quot;: &quot;E1&quot;}" in page and "customer: Oi" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("must_contain", "/([a-z/", "is not a valid regular expression"),
        ("output_schema", '{"type": "objekt"}', "Not a valid JSON Schema"),
        ("output_schema", "{not json", "Not JSON"),
        ("tools_called", "block_card {last4: 1}", "Line 1: the arguments are not JSON"),
        ("tool_results", "no colon here", "Line 1: write “tool_name: result”."),
        ("context", "robot: hi", "Line 1: start with “customer:” or “agent:”"),
        ("expected_member", "cards-specialist", "Only a team routes"),
        ("judge_rubric", "Cita o MED", "A rubric needs the judge's passing score."),  # said on the score
        ("message", "", "This field is required."),
    ],
)
def test_case_form__bad_input__form_error_naming_the_field(client, editor, demo, field, value, message):
    client.force_login(editor)
    response = client.post(ADD_URL, _case_form(**{field: value}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    where = "judge_min_score" if field == "judge_rubric" else field
    assert message in " ".join(errors.get(where, [])), errors
    assert not EvalCase.objects.exists()


def test_case_admin__viewer_reads_only__editor_cannot_delete(client, viewer, editor, demo):
    client.force_login(viewer)
    assert client.get(ADD_URL).status_code == 403
    assert client.get("/admin/evaluations/evalcase/").status_code == 200
    client.force_login(editor)
    client.post(ADD_URL, _case_form())
    case = EvalCase.objects.get()
    assert client.post(f"/admin/evaluations/evalcase/{case.pk}/delete/", {"post": "yes"}).status_code == 403


def _publish_url(team: Team) -> str:
    return f"/admin/teams/team/{team.pk}/publish/"


def test_publish_page__shows_the_regression__refuses__admin_overrides(client, routed_team, publisher, portal_admin):
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    evaluate("team", TEAM)
    live = published_version("team", TEAM)
    client.force_login(publisher)
    page = client.get(_publish_url(routed_team)).content.decode()
    assert "Regression: passed on live, fails now" in page
    assert "Routed to credit-specialist, not to cards-specialist." in page
    assert "Publishing is refused:" in page

    response = client.post(_publish_url(routed_team), {"action": "publish", "note": ""})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="gate-refused"' in page
    assert 'id="override-reason"' not in page  # a publisher may not override
    assert published_version("team", TEAM).pk == live.pk

    client.force_login(portal_admin)
    page = client.post(_publish_url(routed_team), {"action": "publish"}).content.decode()
    assert 'id="override-reason"' in page
    response = client.post(_publish_url(routed_team), {"action": "override", "override": "Cards closed today"})
    assert response.status_code == 302
    assert published_version("team", TEAM).version == live.version + 1
    assert AuditRecord.objects.get(action="gate_overridden").reason == "Cards closed today"


def test_run_the_cases__viewer_refused__editor_queues__progress_reports(client, routed_team, viewer, editor):
    edit_team(editor, [*routed_team.instructions, "Seja breve."])
    draft = component_status("team", TEAM).draft
    start = reverse("admin:evaluations_evalrun_start", args=["team", TEAM, draft.version])
    client.force_login(viewer)
    assert client.post(start).status_code == 403
    assert 'id="run-evaluation"' not in client.get(_publish_url(routed_team)).content.decode()
    client.force_login(editor)
    assert 'id="run-evaluation"' in client.get(_publish_url(routed_team)).content.decode()
    response = client.post(start, {"next": _publish_url(routed_team)})
    assert response.status_code == 302 and response["Location"] == _publish_url(routed_team)
    run = EvalRun.objects.get()
    assert (run.state, run.total, run.candidate_version) == ("queued", 2, draft.version)
    page = client.get(_publish_url(routed_team)).content.decode()
    assert 'id="evaluation-progress"' in page and "hive/evaluation.js" in page
    progress = client.get(reverse("admin:evaluations_evalrun_progress", args=[run.pk])).json()
    assert progress == {"state": "queued", "active": True, "completed": 0, "total": 2, "error": ""}


def test_start__open_redirect_refused(client, routed_team, editor):
    edit_team(editor, [*routed_team.instructions, "Seja breve."])
    draft = component_status("team", TEAM).draft
    client.force_login(editor)
    response = client.post(
        reverse("admin:evaluations_evalrun_start", args=["team", TEAM, draft.version]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"].startswith("/admin/evaluations/evalrun/review/team/")


def test_review_page__linked_decisions(client, routed_team, publisher, viewer):
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    evaluate("team", TEAM)
    version = publish("team", TEAM, publisher)
    client.force_login(viewer)
    url = reverse("admin:evaluations_evalrun_review", args=["team", TEAM, version.version])
    page = client.get(url + f"?baseline={version.version - 1}").content.decode()
    assert "Cartão perdido" in page and "Gate decisions for this version" in page and "Passed" in page
    assert client.get(reverse("admin:evaluations_evalrun_review", args=["team", TEAM, 999])).status_code == 404


def test_promote__gate_refuses_unevaluated_pair__admin_sees_the_override(client, routed_team, publisher, portal_admin):
    # Staging serves the routed team (published by the fixture); production still serves the demo's version.
    url = f"/admin/teams/team/{routed_team.pk}/promote/production/"
    client.force_login(publisher)
    page = client.get(url).content.decode()
    assert "Test cases:" in page and "live in production" in page
    response = client.post(url, {"action": "promote", "note": "go", "version": published_version("team", TEAM).version})
    assert response.status_code == 302 and response["Location"].endswith("?gate=refused")
    assert 'id="promote-override"' not in client.get(response["Location"]).content.decode()
    client.force_login(portal_admin)
    assert 'id="promote-override"' in client.get(response["Location"]).content.decode()
    response = client.post(
        url,
        {"action": "promote", "note": "go", "override": "Hotfix", "version": published_version("team", TEAM).version},
    )
    assert response.status_code == 302 and "gate" not in response["Location"]
    assert AuditRecord.objects.get(action="gate_overridden").environment == "production"


def test_audit_row_of_the_publish__links_the_test_cases(client, routed_team, publisher, viewer):
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    evaluate("team", TEAM)
    version = publish("team", TEAM, publisher)
    record = AuditRecord.objects.get(action="published", subject_id=TEAM, to_version=version.version)
    client.force_login(viewer)
    page = client.get("/admin/audit/auditrecord/?subject_type=team").content.decode()
    link = reverse("admin:evaluations_evalrun_review", args=["team", TEAM, version.version])
    assert f'href="{link}?baseline={record.from_version}"' in page
    review = client.get(f"{link}?baseline={record.from_version}").content.decode()
    assert "Cartão perdido" in review and "✔ Passes" in review and "Passed" in review


def test_suite__set_and_deleted_in_the_admin__both_audited(client, publisher, demo):
    from evaluations.models import EvalSuite

    client.force_login(publisher)
    response = client.post(
        "/admin/evaluations/evalsuite/add/",
        {"component_type": "team", "component_id": TEAM, "min_pass_rate": "90"},
    )
    assert response.status_code == 302
    suite = EvalSuite.objects.get()
    response = client.post(f"/admin/evaluations/evalsuite/{suite.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not EvalSuite.objects.exists()
    actions = list(AuditRecord.objects.filter(subject_type="test_suite").values_list("action", flat=True))
    assert sorted(actions) == ["created", "deleted"]
