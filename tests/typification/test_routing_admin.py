"""The routing page in the admin (request level): draft against live, a readable diff, publish, rollback, and
the typification lists labelled as the draft when it differs from what is live."""

import re

import pytest

from typification.models import ROUTING_ID, BusinessUnitRoute, RoutingTable, TypificationHierarchy
from typification.services import business_unit_route_create, routing_publish, typification_create
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db

PATHS = "/admin/typification/typificationhierarchy/"
ROUTES = "/admin/typification/businessunitroute/"
ROUTING = "/admin/typification/routingtable/"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def live(make_agent):
    cards = make_agent("cards", publish=True)
    typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"], reason="set up")
    business_unit_route_create(business_unit="PagBank", agent=cards, reason="set up")
    routing_publish(actor="setup")
    return cards


def routing_page() -> str:
    return f"{ROUTING}{RoutingTable.objects.get(routing_id=ROUTING_ID).pk}/"


def test_routing_list__is_the_one_routing_page(client, viewer, live):
    client.force_login(viewer)
    response = client.get(ROUTING)
    assert response.status_code == 302 and response["Location"] == f"{routing_page()}change/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = text_of(page)
    assert "Live: v1" in text and "none — editing a typification path or a business-unit route starts one" in text
    assert 'name="_save"' not in page.content.decode()
    panel = page.content.decode().split('id="version-status"')[1].split("</div>\n</div>")[0]
    assert "Agno sessions" not in panel and "toggle-active" not in panel and "History &amp; rollback" in panel


def test_routing_page__post__refused(client, publisher, live):
    client.force_login(publisher)
    assert client.post(f"{routing_page()}change/", {}).status_code == 405


def test_editor_adds_a_path_in_the_admin__draft__labelled__console_still_live(client, editor, live, make_agent):
    client.force_login(editor)
    response = client.post(
        f"{PATHS}add/",
        {"level1": "Crédito", "level2": "Empréstimo", "routing_keywords": "empréstimo", "reason": "credit unit"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = component_status("routing", ROUTING_ID).draft
    assert (draft.version, draft.change_note, draft.created_by) == (2, "credit unit", editor)

    listing = text_of(client.get(PATHS))
    assert "Routing live: v1" in listing and "draft v2" in listing and "differs from what is live" in listing
    assert "differs from what is live" in text_of(client.get(ROUTES))
    console = text_of(client.get(f"{PATHS}console/", {"text": "quero um empréstimo"}))
    assert "the published routing (v1)" in console and "not used until they are published" in console
    assert "No typification path matches" in console


def test_editor__can_submit_but_not_publish(client, editor, live):
    typification_create(level1="Crédito", actor=editor, reason="credit unit")
    client.force_login(editor)
    page = client.get(f"{routing_page()}change/").content.decode()
    assert 'id="submit-review"' in page and 'id="discard-draft"' in page and 'id="publish-link"' not in page
    client.post(f"{routing_page()}review/", {"action": "submit"})
    assert component_status("routing", ROUTING_ID).draft.review_state == "submitted"
    assert client.post(f"{routing_page()}publish/", {"note": "mine"}).status_code == 403
    assert client.post(f"{routing_page()}rollback/1/", {"note": "x"}).status_code == 403
    assert component_status("routing", ROUTING_ID).published.version == 1


def test_publish_page__readable_diff__publish(client, editor, publisher, live, make_agent):
    credit = make_agent("credit", publish=True, name="Credit")
    typification_create(level1="Crédito", routing_keywords=["empréstimo"], actor=editor, reason="credit unit")
    route = BusinessUnitRoute.objects.get(business_unit="PagBank")
    from typification.services import business_unit_route_update, typification_delete

    business_unit_route_update(route=route, agent=credit, actor=editor, reason="credit takes PagBank")
    typification_delete(typification=TypificationHierarchy.objects.get(level2="Pix"), actor=editor, reason="no Pix")
    client.force_login(publisher)

    page = client.get(f"{routing_page()}publish/")
    rows = [
        text_of_row
        for text_of_row in re.findall(r'<tr class="hive-setting-row">(.*?)</tr>', page.content.decode(), re.S)
    ]
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert cells == [
        "path added: Crédito business unit: Crédito keywords: empréstimo",
        "path removed: PagBank › Pix business unit: PagBank keywords: pix",
        "route changed: PagBank agent cards agent credit",
    ]
    assert "Typification paths and business-unit routes" in page.content.decode()

    response = client.post(f"{routing_page()}publish/", {"note": "credit goes live"})
    assert response.status_code == 302
    published = component_status("routing", ROUTING_ID).published
    assert (published.version, published.published_by) == (2, publisher)


def test_rollback_page__restores_and_serves(client, editor, publisher, live):
    typification_create(level1="Crédito", actor=editor, reason="credit unit")
    routing_publish(actor="setup")
    client.force_login(publisher)
    page = text_of(client.get(f"{routing_page()}rollback/1/"))
    assert "path removed: Crédito" in page
    response = client.post(f"{routing_page()}rollback/1/", {"note": "credit was premature"})
    assert response.status_code == 302
    assert component_status("routing", ROUTING_ID).published.rolled_back_from == 1
    assert not TypificationHierarchy.objects.filter(level1="Crédito").exists()
    history = text_of(client.get(f"{routing_page()}versions/"))
    assert "credit was premature" in history


def test_compare_page__paths_and_routes(client, viewer, live):
    typification_create(level1="Crédito", actor="setup", reason="credit unit")
    routing_publish(actor="setup")
    client.force_login(viewer)
    page = text_of(client.get(f"{routing_page()}compare/", {"a": 1, "b": 2}))
    assert "path added: Crédito" in page


def test_delete_selected_paths__one_draft_save__each_row_audited(client, editor, live):
    from audit.models import AuditRecord

    for name in ("A", "B", "C"):
        typification_create(level1=name, actor="setup", reason="x")
    routing_publish(actor="setup")
    client.force_login(editor)
    ids = [
        str(pk) for pk in TypificationHierarchy.objects.filter(level1__in=["A", "B", "C"]).values_list("pk", flat=True)
    ]
    response = client.post(PATHS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert not TypificationHierarchy.objects.filter(level1__in=["A", "B", "C"]).exists()
    assert (
        AuditRecord.objects.filter(subject_type="typification", action="deleted", actor_name="eddie-editor").count()
        == 3
    )
    saves = AuditRecord.objects.filter(subject_type="routing", action="draft_saved", actor_name="eddie-editor")
    assert saves.count() == 1 and saves.get().reason == "Deleted in the admin list"
    assert sorted(component_status("routing", ROUTING_ID).draft.config["paths"]) == ["PagBank › Pix"]
