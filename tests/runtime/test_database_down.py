"""When the database really stops, the runtime keeps its last configuration; with nothing cached it
gets a 503 with Retry-After. The test stops and restarts the test session's own PostgreSQL."""

import pytest
from django.urls import reverse

from hive_portal.testing import error_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_database_down__last_document_served_stale_then_fresh_again(runtime_client, make_team, database_outage):
    stop, start = database_outage
    make_team("router", publish=True)
    agent_url = reverse("api:v1:agent-config", args=["cards"])
    fresh = runtime_client.get(agent_url)
    bundle = runtime_client.get(reverse("api:v1:bundle"))
    assert fresh.status_code == 200 and bundle.status_code == 200

    stop()
    stale = runtime_client.get(agent_url)
    assert stale.status_code == 200
    assert stale["X-Hive-Stale"] == "true" and "Stale" in stale["Warning"]
    assert stale.json() == fresh.json() and stale["ETag"] == fresh["ETag"]
    assert runtime_client.get(agent_url, HTTP_IF_NONE_MATCH=fresh["ETag"]).status_code == 304
    assert runtime_client.get(reverse("api:v1:bundle")).json() == bundle.json()

    never_fetched = runtime_client.get(reverse("api:v1:team-config", args=["router"]))
    assert never_fetched.status_code == 503
    assert int(never_fetched["Retry-After"]) > 0
    assert error_of(never_fetched)["code"] == "service_unavailable"

    start()
    again = runtime_client.get(agent_url)
    assert again.status_code == 200 and "X-Hive-Stale" not in again
    assert runtime_client.get(reverse("api:v1:team-config", args=["router"])).status_code == 200
