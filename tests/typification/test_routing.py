"""Routing (the typification tree and the business-unit routes) goes through draft → publish like agents:
editors propose, publishers publish, the runtime serves only what was published."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from audit.models import AuditRecord
from runtime.models import RuntimeState
from typification.classifier import classify
from typification.models import ROUTING_ID, BusinessUnitRoute, RoutingTable, TypificationHierarchy
from typification.selectors import PublishedRouting, routing_config, typification_tree_document
from typification.services import (
    business_unit_route_create,
    business_unit_route_update,
    routing_publish,
    typification_create,
    typification_delete,
    typification_update,
)
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.selectors import component_status
from versioning.services import (
    component_delete,
    component_publish,
    component_rollback,
    component_set_active,
    draft_approve,
    draft_discard,
    draft_reject,
    draft_submit,
)

pytestmark = pytest.mark.django_db

CLASSIFY = "/api/v1/typification/classify"
TREE = "/api/v1/typification/tree"
KIND = get_kind("routing")


def generation() -> int:
    return RuntimeState.objects.get(pk=1).config_generation


def status():
    return component_status("routing", ROUTING_ID)


def served_paths() -> list[str]:
    """The paths production routes by, as the tree API document lists them."""
    names = []

    def walk(nodes, prefix):
        for node in nodes:
            path = [*prefix, node["name"]]
            if node["id"]:
                names.append(" › ".join(path))
            walk(node["children"], path)

    walk(typification_tree_document()["tree"], [])
    return names


@pytest.fixture
def live(make_agent, make_team):
    """A published routing: two paths, PagBank → the cards agent, Emissão → the router team."""
    cards = make_agent("cards", publish=True)
    team = make_team("router", members=[cards, make_agent("pix", publish=True, name="Pix specialist")], publish=True)
    pix = typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"], actor="setup", reason="set up")
    typification_create(level1="Emissão", level2="Cartão", routing_keywords=["cartão"], actor="setup", reason="set up")
    route = business_unit_route_create(business_unit="PagBank", agent=cards, actor="setup", reason="set up")
    business_unit_route_create(business_unit="Emissão", team=team, actor="setup", reason="set up")
    version = routing_publish(actor="setup", note="first routing")
    return SimpleNamespace(cards=cards, team=team, pix=pix, route=route, version=version)


# --- Draft, publish, what the runtime serves ---------------------------------------------------------


def test_editor_edits__draft_only__runtime_keeps_the_published_routing(live, editor, make_agent):
    other = make_agent("credit", publish=True, name="Credit specialist")
    before = generation()

    typification_update(
        typification=live.pix, routing_keywords=["pix", "transferência"], actor=editor, reason="TED words"
    )
    typification_create(
        level1="Crédito", level2="Empréstimo", routing_keywords=["empréstimo"], actor=editor, reason="new unit"
    )
    business_unit_route_update(route=live.route, agent=other, actor=editor, reason="credit takes PagBank")

    assert generation() == before  # no runtime document went stale
    current = status()
    assert current.published.version == 1 and current.draft.version == 2
    assert current.draft.created_by == editor and current.draft.change_note == "credit takes PagBank"
    assert current.draft.config == routing_config()
    # Production: the published version, whatever the working tables say.
    assert served_paths() == ["Emissão › Cartão", "PagBank › Pix"]
    assert typification_tree_document()["routes"]["PagBank"]["id"] == "cards"
    assert classify("fiz uma transferência", use_knowledge=False).results == []
    assert classify("meu pix", use_knowledge=False).route.id == "cards"
    assert classify("quero um empréstimo", use_knowledge=False).results == []


def test_publish__serves_the_draft__audited__generation_moves(live, editor, publisher, make_agent):
    other = make_agent("credit", publish=True, name="Credit specialist")
    business_unit_route_update(route=live.route, agent=other, actor=editor, reason="credit takes PagBank")
    typification_delete(typification=live.pix, actor=editor, reason="Pix moves")
    before = generation()

    version = component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher, note="ship it")

    assert version.version == 2 and generation() == before + 1
    assert served_paths() == ["Emissão › Cartão"]
    assert typification_tree_document()["routes"]["PagBank"] == {
        "type": "agent",
        "id": "credit",
        "name": "Credit specialist",
    }
    assert RoutingTable.objects.get().version == "v2"
    audit = AuditRecord.objects.filter(subject_type="routing", action="published").latest("id")
    assert (audit.actor_name, audit.reason, audit.from_version, audit.to_version) == (
        "paula-publisher",
        "ship it",
        1,
        2,
    )
    assert audit.diff["changed"] == {"routes.PagBank.id": {"from": "cards", "to": "credit"}}
    assert list(audit.diff["removed"]) == ["paths.PagBank › Pix"]
    saved = AuditRecord.objects.filter(subject_type="routing", action="draft_saved", to_version=2)
    assert {row.actor_name for row in saved} == {"eddie-editor"}


def test_rollback__serves_the_old_version_and_restores_the_working_tables(live, editor, publisher):
    pix_id = live.pix.pk
    typification_delete(typification=live.pix, actor=editor, reason="drop Pix")
    typification_create(level1="Crédito", actor=editor, reason="new unit")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    assert served_paths() == ["Crédito", "Emissão › Cartão"]
    before = generation()

    new = component_rollback(kind=KIND, component_id=ROUTING_ID, to_version=1, actor=publisher, note="Pix is back")

    assert (new.version, new.rolled_back_from) == (3, 1) and generation() == before + 1
    assert served_paths() == ["Emissão › Cartão", "PagBank › Pix"]
    # The working copy is v1 again, with the same path ids (links and the classify API's ids stay valid).
    assert routing_config() == ComponentVersion.objects.get(component_type="routing", version=1).config
    assert TypificationHierarchy.objects.get(level2="Pix").pk == pix_id
    assert BusinessUnitRoute.objects.get(business_unit="PagBank").agent == live.cards
    assert status().draft is None
    assert AuditRecord.objects.filter(
        subject_type="routing", action="rolled_back", actor_name="paula-publisher"
    ).exists()


def test_discard__working_tables_back_to_the_published_routing(live, editor):
    typification_delete(typification=live.pix, actor=editor, reason="drop Pix")
    business_unit_route_update(
        route=BusinessUnitRoute.objects.get(business_unit="Emissão"), note="changed", actor=editor, reason="x"
    )

    draft_discard(kind=KIND, component_id=ROUTING_ID, actor=editor, reason="never mind")

    assert status().draft is None
    assert routing_config() == status().published.config
    assert TypificationHierarchy.objects.filter(level2="Pix").exists()


def test_an_edit_that_restores_the_live_state__no_new_draft(live, editor):
    typification_update(typification=live.pix, routing_keywords=["pix"], actor=editor, reason="same")
    assert status().draft is None


# --- Permissions and four eyes ------------------------------------------------------------------------


def test_editor__may_propose_but_not_publish_approve_or_roll_back(live, editor):
    typification_create(level1="Crédito", actor=editor, reason="new unit")
    draft_submit(kind=KIND, component_id=ROUTING_ID, actor=editor)
    with pytest.raises(PermissionDenied):
        component_publish(kind=KIND, component_id=ROUTING_ID, actor=editor)
    with pytest.raises(PermissionDenied):
        draft_approve(kind=KIND, component_id=ROUTING_ID, actor=editor)
    with pytest.raises(PermissionDenied):
        component_rollback(kind=KIND, component_id=ROUTING_ID, to_version=1, actor=editor, note="x")
    assert status().published.version == 1


def test_viewer__cannot_discard(live, editor, viewer):
    typification_create(level1="Crédito", actor=editor, reason="new unit")
    with pytest.raises(PermissionDenied):
        draft_discard(kind=KIND, component_id=ROUTING_ID, actor=viewer)
    assert status().draft is not None


def test_routing__cannot_be_deactivated_or_deleted(live):
    with pytest.raises(ValidationError, match="cannot be deactivated"):
        component_set_active(kind=KIND, component_id=ROUTING_ID, active=False, actor="setup")
    with pytest.raises(ValidationError, match="cannot be deactivated or deleted"):
        component_delete(kind=KIND, component_id=ROUTING_ID, actor="setup")


def test_four_eyes__with_review_required(settings, live, editor, publisher, second_publisher):
    settings.HIVE_REQUIRE_REVIEW = True
    typification_create(level1="Crédito", actor=editor, reason="new unit")
    with pytest.raises(ValidationError, match="needs approval"):
        component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    # A publisher who also edited the draft may not approve it.
    typification_create(level1="Câmbio", actor=publisher, reason="another unit")
    with pytest.raises(PermissionDenied, match="has not edited"):
        draft_approve(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    draft_reject(kind=KIND, component_id=ROUTING_ID, actor=second_publisher, reason="name the unit properly")
    assert status().draft.review_state == "rejected"
    draft_approve(kind=KIND, component_id=ROUTING_ID, actor=second_publisher, note="fine")

    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)

    assert served_paths() == ["Crédito", "Câmbio", "Emissão › Cartão", "PagBank › Pix"]
    actions = list(AuditRecord.objects.filter(subject_type="routing", to_version=2).values_list("action", flat=True))
    assert {"draft_saved", "rejected", "approved", "published"} <= set(actions)


def test_editing_an_approved_draft__clears_the_approval(settings, live, editor, second_publisher):
    settings.HIVE_REQUIRE_REVIEW = True
    typification_create(level1="Crédito", actor=editor, reason="new unit")
    draft_approve(kind=KIND, component_id=ROUTING_ID, actor=second_publisher)
    typification_create(level1="Câmbio", actor=editor, reason="one more")
    assert status().draft.review_state == ""


# --- What may go live ---------------------------------------------------------------------------------


def test_validate_live__route_to_an_unpublished_agent__refused(live, make_agent, publisher):
    draft_only = make_agent("fresh", name="Fresh")
    business_unit_route_update(route=live.route, agent=draft_only, actor="setup", reason="x")
    with pytest.raises(ValidationError, match="PagBank → agent fresh has no published version yet"):
        component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    assert status().published.version == 1


def test_validate_live__route_to_an_inactive_team__refused(live, make_agent, make_team, publisher):
    backup = make_team("backup", members=[make_agent("loans", publish=True, name="Loans")], publish=True)
    component_set_active(kind=get_kind("team"), component_id="backup", active=False, actor="setup")  # not routed yet
    typification_create(level1="Crédito", business_unit="Crédito", actor="setup", reason="x")
    business_unit_route_create(business_unit="Crédito", team=backup, actor="setup", reason="x")
    with pytest.raises(ValidationError, match="Crédito → team backup is missing or inactive"):
        component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)


def test_validate_live__rollback_to_a_version_whose_agent_is_gone__refused(live, make_agent, publisher):
    credit = make_agent("credit", publish=True, name="Credit")
    business_unit_route_update(route=live.route, agent=credit, actor="setup", reason="credit")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)  # v2
    business_unit_route_update(route=live.route, agent=live.cards, actor="setup", reason="back to cards")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)  # v3
    component_delete(kind=get_kind("agent"), component_id="credit", actor=publisher)  # nothing live routes to it

    with pytest.raises(ValidationError, match="PagBank → agent credit is missing or inactive"):
        component_rollback(kind=KIND, component_id=ROUTING_ID, to_version=2, actor=publisher, note="credit again")

    assert status().published.version == 3
    assert typification_tree_document()["routes"]["PagBank"]["id"] == "cards"


def test_delete_agent__a_published_route_points_at_it__refused_even_when_the_draft_moved_away(
    live, make_agent, publisher
):
    credit = make_agent("credit", publish=True, name="Credit")
    business_unit_route_update(route=live.route, agent=credit, actor="setup", reason="x")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    # The draft moves PagBank back to cards: the working tables no longer protect credit, the published routing does.
    business_unit_route_update(route=live.route, agent=live.cards, actor="setup", reason="back to cards")

    with pytest.raises(ValidationError, match=r"credit handles PagBank in the published routing \(v2\)"):
        component_delete(kind=get_kind("agent"), component_id="credit", actor=publisher)

    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    component_delete(kind=get_kind("agent"), component_id="credit", actor=publisher)  # now nothing routes to it


def test_delete_team__a_published_route_points_at_it__refused(live, publisher):
    with pytest.raises(ValidationError, match="router handles Emissão in the published routing"):
        component_delete(kind=get_kind("team"), component_id="router", actor=publisher)


def test_published_routing__read_once_per_version_then_one_small_query(live, make_agent, publisher):
    from django.test.utils import CaptureQueriesContext

    from typification.selectors import published_routing

    first = published_routing()
    with CaptureQueriesContext(connection) as queries:
        again = published_routing()
    assert again is first and len(queries) == 1 and "config" not in queries[0]["sql"].split("FROM")[0]
    assert classify("cartão", use_knowledge=False).routing_version == first.version

    credit = make_agent("credit", publish=True, name="Credit")
    business_unit_route_update(route=live.route, agent=credit, actor="setup", reason="credit takes PagBank")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    newer = published_routing()
    assert newer is not first and newer.version == first.version + 1
    assert newer.routes["PagBank"]["id"] == "credit"


def test_deactivate_agent__a_published_route_points_at_it__refused(live, make_agent, publisher):
    from versioning.services import component_set_active

    credit = make_agent("credit", publish=True, name="Credit")
    business_unit_route_update(route=live.route, agent=credit, actor="setup", reason="x")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)

    with pytest.raises(
        ValidationError, match=r"credit handles PagBank in the published routing .* cannot be deactivated"
    ):
        component_set_active(kind=get_kind("agent"), component_id="credit", active=False, actor=publisher)
    credit.refresh_from_db()
    assert credit.is_active


def test_deactivate_team__a_published_route_points_at_it__refused(live, publisher):
    from versioning.services import component_set_active

    with pytest.raises(ValidationError, match="router handles Emissão in the published routing"):
        component_set_active(kind=get_kind("team"), component_id="router", active=False, actor=publisher)


# --- The data migration ---------------------------------------------------------------------------------


def _run_migration_v1():
    from importlib import import_module

    from django.db.migrations.loader import MigrationLoader

    # The models as the migration saw them (the audit trail was still versioning's VersionHistory).
    node = ("typification", "0004_publish_routing_v1")
    loader = MigrationLoader(connection)
    state = loader.project_state(node, at_end=False)
    # The tables are today's, though: agents' later migrations (the tool catalogue dropped agents.tools) brought in.
    before = set(loader.graph.forwards_plan(node))
    for key in loader.graph.forwards_plan(loader.graph.leaf_nodes("agents")[0]):
        if key[0] == "agents" and key not in before:
            state = loader.graph.nodes[key].mutate_state(state, preserve=False)
    apps = state.apps
    migration = import_module("typification.migrations.0004_publish_routing_v1")
    migration.publish_v1(apps, SimpleNamespace(connection=connection))


def test_data_migration__publishes_v1_from_the_existing_rows__routing_unchanged(make_agent):
    """What an installation had before routing was versioned: rows written straight into the tables."""
    cards = make_agent("cards", publish=True)
    TypificationHierarchy.objects.create(
        level1="PagBank", level2="Pix", business_unit="PagBank", routing_keywords=["pix"]
    )
    TypificationHierarchy.objects.create(
        level1="Emissão", level2="Cartão", business_unit="Emissão", routing_keywords=["cartão"]
    )
    BusinessUnitRoute.objects.create(business_unit="PagBank", agent=cards, note="the card agent knows Pix too")
    working = routing_config()
    before = classify("meu pix e meu cartão", use_knowledge=False, routing=PublishedRouting(None, working))

    _run_migration_v1()

    v1 = status().published
    assert (v1.version, v1.published_by_name, v1.config) == (1, "migration", working)
    from common.hashing import canonical_hash

    assert v1.content_hash == canonical_hash(working)
    assert RoutingTable.objects.get().version == "v1"
    after = classify("meu pix e meu cartão", use_knowledge=False)
    assert after.as_dict() | {"routing_version": None} == before.as_dict()
    assert AuditRecord.objects.filter(subject_type="routing", action="published", to_version=1).exists()
    _run_migration_v1()  # idempotent
    assert ComponentVersion.objects.filter(component_type="routing").count() == 1


def test_data_migration__empty_installation__nothing_published():
    _run_migration_v1()
    assert status().published is None
    assert typification_tree_document() == {"count": 0, "tree": [], "routes": {}, "routing_version": None}


# --- The runtime API ------------------------------------------------------------------------------------


def test_api__classify_tree_and_bundle_serve_the_published_routing(live, runtime_client, editor, publisher):
    bundle_url = reverse("api:v1:bundle")
    first_bundle = runtime_client.get(bundle_url)
    assert first_bundle.json()["typification"]["routing_version"] == 1

    typification_update(typification=live.pix, routing_keywords=["pix", "ted"], actor=editor, reason="TED too")
    business_unit_route_update(route=live.route, agent=None, team=live.team, actor=editor, reason="team takes PagBank")

    body = runtime_client.post(CLASSIFY, {"text": "fiz um ted"}, format="json").json()
    assert body["results"] == [] and body["routing_version"] == 1
    assert runtime_client.post(CLASSIFY, {"text": "meu pix"}, format="json").json()["route"]["id"] == "cards"
    tree = runtime_client.get(TREE).json()
    assert tree["routes"]["PagBank"]["id"] == "cards" and tree["routing_version"] == 1
    unchanged = runtime_client.get(bundle_url, HTTP_IF_NONE_MATCH=first_bundle["ETag"])
    assert unchanged.status_code == 304  # the draft did not touch what the runtime serves

    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)

    body = runtime_client.post(CLASSIFY, {"text": "fiz um ted"}, format="json").json()
    assert body["route"] == {"type": "team", "id": "router", "name": "Router"} and body["routing_version"] == 2
    assert runtime_client.get(TREE).json()["routes"]["PagBank"]["type"] == "team"
    bundle = runtime_client.get(bundle_url, HTTP_IF_NONE_MATCH=first_bundle["ETag"])
    assert bundle.status_code == 200
    assert bundle.json()["typification"]["routes"]["PagBank"]["id"] == "router"


def test_api__never_published__routes_nothing(runtime_client, make_agent):
    typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"], reason="draft only")
    assert runtime_client.post(CLASSIFY, {"text": "meu pix"}, format="json").json()["results"] == []
    assert runtime_client.get(TREE).json() == {"count": 0, "tree": [], "routes": {}, "routing_version": None}


def test_commands__publish_and_roll_back_the_routing(live):
    from io import StringIO

    from django.core.management import call_command

    typification_create(level1="Crédito", actor="setup", reason="credit unit")
    out = StringIO()
    call_command("publish_component", "routing", ROUTING_ID, "--message", "credit unit live", stdout=out)
    assert "as v2" in out.getvalue() and "Crédito" in served_paths()
    call_command("rollback_component", "routing", ROUTING_ID, "--to", "1", "--message", "too early", stdout=out)
    assert "Crédito" not in served_paths() and not TypificationHierarchy.objects.filter(level1="Crédito").exists()


def test_delete_agent__the_routing_production_serves_points_at_it__refused_until_promoted(live, make_agent, publisher):
    from typification.services import business_unit_route_delete
    from versioning.promotion import component_promote

    agent_kind = get_kind("agent")
    solo = make_agent("solo", publish=True, name="Solo")
    route = business_unit_route_create(business_unit="Conta", agent=solo, actor="setup", reason="set up")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)
    for component_type, component_id in (("agent", "cards"), ("agent", "pix"), ("agent", "solo"), ("team", "router")):
        component_promote(
            kind=get_kind(component_type), component_id=component_id, environment="production", actor=publisher,
            note="go",
        )  # fmt: skip
    component_promote(kind=KIND, component_id=ROUTING_ID, environment="production", actor=publisher, note="go")
    # Staging's routing no longer routes Conta; production's still sends it to solo.
    business_unit_route_delete(route=route, actor="setup", reason="Conta goes away")
    component_publish(kind=KIND, component_id=ROUTING_ID, actor=publisher)

    with pytest.raises(ValidationError, match=r"solo handles Conta in the routing production serves \(v2\)"):
        component_delete(kind=agent_kind, component_id="solo", actor=publisher)
    component_promote(kind=KIND, component_id=ROUTING_ID, environment="production", actor=publisher, note="go")
    component_delete(kind=agent_kind, component_id="solo", actor=publisher)  # no environment routes to it now
