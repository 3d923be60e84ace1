"""A rollout seen from the runtime: the client picks each session's variant from the bundle and the portal
agrees when asked; the agent built carries the version that ran (``metadata.hive.version``), which the
client's reports send as ``config_version`` — what the guard and the dashboards compare."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hive_portal.testing import key_client, make_api_key
from tests.client.conftest import DEMO_TOOLS

pytestmark = pytest.mark.django_db(transaction=True)

CARDS = "cards-specialist"


@pytest.fixture
def production_key(db):
    _, raw = make_api_key(
        name="prod-runtime", scopes=("config:read", "metrics:write", "knowledge:search"), environment="production"
    )
    return raw


@pytest.fixture
def runtime_key(production_key):  # the client fixtures' key: a production runtime here
    return production_key


def test_client__picks_the_same_variant_as_the_portal__and_reports_its_version(portal_factory, demo, production_key):
    from versioning.components import get_kind
    from versioning.rollouts import rollout_abort, rollout_start

    # The demo leaves cards v2 in staging and v1 in production.
    rollout = rollout_start(
        kind=get_kind("agent"), component_id=CARDS, environment="production", percent=50, actor="paula",
        note="half of production",
    )  # fmt: skip
    portal = portal_factory(tools=DEMO_TOOLS, report=False)
    server = key_client(production_key)
    url = reverse("api:v1:agent-config", args=[CARDS])
    seen = set()
    for i in range(40):
        session = f"sess-{i}"
        local = portal.agent(CARDS, session_id=session).metadata["hive"]["version"]
        asked = server.get(url, {"session_id": session}).json()["metadata"]["hive"]["version"]
        assert local == asked, session
        assert portal.agent(CARDS, session_id=session).metadata["hive"]["version"] == local  # sticky
        seen.add(local)
    assert seen == {1, 2}  # both versions serve traffic at 50%
    assert portal.agent(CARDS).metadata["hive"]["version"] == 1  # no session: production's own version

    rollout_abort(kind=get_kind("agent"), rollout_id=rollout.pk, actor="paula", reason="enough")
    assert portal.refresh() is True
    assert {portal.agent(CARDS, session_id=f"sess-{i}").metadata["hive"]["version"] for i in range(40)} == {1}
