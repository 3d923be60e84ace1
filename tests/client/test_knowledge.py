"""HivePortalKnowledge: Agno's KnowledgeProtocol over POST /api/v1/knowledge/search, within the binding."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _knowledge(portal_factory, **binding):
    from hive_portal_client import HivePortalKnowledge

    portal = portal_factory()
    return HivePortalKnowledge.from_binding({"name": "hive-portal:test", **binding}, portal.http)


def test_is_an_agno_knowledge_protocol(portal_factory, demo):
    from agno.knowledge.protocol import KnowledgeProtocol

    assert isinstance(_knowledge(portal_factory, business_unit="pix"), KnowledgeProtocol)


def test_retrieve__documents_of_the_bound_business_unit_only(portal_factory, demo):
    knowledge = _knowledge(portal_factory, business_unit="pix", max_results=3)
    documents = knowledge.retrieve("caí num golpe, como recupero meu dinheiro?")
    assert 1 <= len(documents) <= 3
    assert {d.meta_data["business_unit"] for d in documents} == {"pix"}
    assert all("\n" in d.content and d.name for d in documents)


def test_agentic_filters__narrow_but_never_widen_the_binding(portal_factory, demo):
    knowledge = _knowledge(portal_factory, business_unit="pix", valid_metadata_filters=["business_unit", "category"])
    widened = knowledge.retrieve("limite do cartão", filters={"business_unit": "cards"})
    assert widened and {d.meta_data["business_unit"] for d in widened} == {"pix"}
    narrowed = knowledge.retrieve("pix", filters={"category": "Golpe"})
    assert narrowed and {d.meta_data["category"] for d in narrowed} == {"Golpe"}
    assert knowledge.validate_filters({"category": "Golpe", "color": "red"}) == ({"category": "Golpe"}, ["color"])


def test_tools_and_context(portal_factory, demo):
    knowledge = _knowledge(portal_factory, business_unit="cards")
    (tool,) = knowledge.get_tools()
    assert "Q: " in tool("perdi meu cartão") and "cards" in knowledge.build_context()
