"""``manage.py load_demo``: a believable, published demo configuration, loaded idempotently, and an admin
user whose password is printed once (or taken from HIVE_ADMIN_PASSWORD)."""

from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from agents.models import Agent
from hive_portal.routers import is_agno_model
from teams.models import Team
from versioning.models import ComponentVersion
from versioning.roles import ADMIN
from versioning.selectors import published_version

pytestmark = [pytest.mark.sqlite_smoke, pytest.mark.django_db]

TEAM_ID = "customer-service-router"
PASSWORD_LINE = re.compile(r"shown once, here:\n\s+(\S+)\n")


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed and not is_agno_model(model)
    }


@override_settings(HIVE_ADMIN_PASSWORD="")
def test_load_demo__twice__second_run_changes_nothing_and_prints_no_password():
    first = load_demo()
    after_first = row_counts()
    second = load_demo()

    assert row_counts() == after_first
    password = PASSWORD_LINE.search(first).group(1)
    assert password not in second
    assert "nothing changed" in second
    assert "password" not in second.lower()


@override_settings(HIVE_ADMIN_PASSWORD="")
def test_load_demo__printed_password__is_the_admin_users():
    password = PASSWORD_LINE.search(load_demo()).group(1)

    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password)
    assert admin.is_superuser and admin.is_staff
    assert admin.groups.filter(name=ADMIN).exists()


@override_settings(HIVE_ADMIN_PASSWORD="from-the-environment-42")
def test_load_demo__admin_password_from_environment__used_and_not_printed():
    output = load_demo()

    assert "from-the-environment-42" not in output
    assert "HIVE_ADMIN_PASSWORD" in output
    assert get_user_model().objects.get(username="admin").check_password("from-the-environment-42")


@override_settings(HIVE_ADMIN_PASSWORD="")
def test_load_demo__existing_admin__password_left_alone():
    get_user_model().objects.create_superuser("admin", "admin@example.com", "chosen-by-the-owner-1")

    output = load_demo()

    assert PASSWORD_LINE.search(output) is None
    assert get_user_model().objects.get(username="admin").check_password("chosen-by-the-owner-1")


def test_load_demo__routing_team__three_published_specialists():
    load_demo()

    team = Team.objects.get(team_id=TEAM_ID)
    members = list(team.memberships.order_by("position").select_related("agent"))
    assert len(members) == 3
    assert team.mode == "route" and team.is_active and team.version

    team_version = published_version("team", TEAM_ID)
    assert team_version is not None and team_version.status == "published"
    for member in members:
        agent = member.agent
        assert agent.is_active and agent.version, agent.agent_id
        assert published_version("agent", agent.agent_id) is not None, agent.agent_id
    # Published as they stand: no demo component has an unpublished draft left over.
    demo_ids = [TEAM_ID, *(m.agent.agent_id for m in members)]
    assert not ComponentVersion.objects.filter(component_id__in=demo_ids, status="draft").exists()
    assert Agent.objects.filter(agent_id__in=demo_ids).count() == 3


def test_load_demo__has_typification_knowledge_and_metrics():
    from knowledge.models import KnowledgeEntry
    from monitoring.models import AgentMetric, RoutingDecision
    from typification.models import TypificationHierarchy

    load_demo()

    assert TypificationHierarchy.objects.count() >= 3
    assert set(TypificationHierarchy.objects.values_list("business_unit", flat=True)) == {"cards", "pix", "credit"}
    assert KnowledgeEntry.objects.count() >= 3
    assert AgentMetric.objects.filter(agent_id="cards-specialist").exists()
    assert RoutingDecision.objects.exists()


def test_load_demo__publishes_the_routing__production_routes_the_demo_queries():
    from typification.classifier import classify
    from typification.selectors import routing_config

    load_demo()

    routing = published_version("routing", "routing")
    assert routing is not None and routing.published_by_name == "demo-loader"
    assert routing.config == routing_config()  # no draft left behind
    best = classify("Quero aumentar meu limite", use_knowledge=False)
    assert best.route.id == "cards-specialist" and best.routing_version == routing.version


def test_load_demo__someone_is_drafting_routing__their_draft_is_not_published():
    from typification.services import typification_create
    from versioning.selectors import component_status

    typification_create(level1="Seguros", actor="editor", reason="insurance, not reviewed yet")
    load_demo()

    status = component_status("routing", "routing")
    assert status.published is None and "Seguros" in status.draft.config["paths"]


def _load_demo_only_embedded() -> str:
    out = io.StringIO()
    call_command("load_demo", "--only-embedded", stdout=out)
    return out.getvalue()


@override_settings(HIVE_EMBEDDED_DATABASE=False, HIVE_LOAD_DEMO=False, HIVE_ADMIN_PASSWORD="")
def test_load_demo_only_embedded__database_of_yours__admin_only_no_demo():
    output = _load_demo_only_embedded()
    assert "Demo not loaded" in output
    assert get_user_model().objects.filter(username="admin").exists()
    assert not Agent.objects.exists() and not Team.objects.exists()


@override_settings(HIVE_EMBEDDED_DATABASE=False, HIVE_LOAD_DEMO=True, HIVE_ADMIN_PASSWORD="")
def test_load_demo_only_embedded__asked_with_hive_load_demo__loads():
    _load_demo_only_embedded()
    assert Team.objects.filter(team_id=TEAM_ID).exists()


@override_settings(HIVE_EMBEDDED_DATABASE=True, HIVE_LOAD_DEMO=False, HIVE_ADMIN_PASSWORD="")
def test_load_demo_only_embedded__embedded_database__loads():
    _load_demo_only_embedded()
    assert Team.objects.filter(team_id=TEAM_ID).exists()


def test_load_demo__every_environment_serves_the_demo__staging_one_version_ahead():
    from versioning.selectors import environment_versions

    load_demo()
    cards = environment_versions("agent", "cards-specialist")
    assert (cards["staging"].version, cards["production"].version) == (2, 1)  # something to promote
    for component_type, component_id in (("team", TEAM_ID), ("routing", "routing"), ("agent", "pix-specialist")):
        versions = environment_versions(component_type, component_id)
        assert versions["staging"] is not None and versions["staging"] == versions["production"]


def test_load_demo__the_specialists_share_a_published_tone_fragment():
    from prompts.selectors import fragment_users

    load_demo()
    fragment = published_version("fragment", "tom-de-voz")
    assert fragment is not None
    assert fragment_users("tom-de-voz") == [
        ("agent", "cards-specialist"),
        ("agent", "credit-specialist"),
        ("agent", "pix-specialist"),
    ]
    served = published_version("agent", "pix-specialist").config
    assert (
        served["instructions"][0] == "Fale com o cliente de forma cordial, clara e sem jargão, em português do Brasil."
    )
    assert served["prompt"]["fragments"] == {"tom-de-voz": fragment.version}
