"""Guards that run before any view."""

import pytest

from hive_portal.testing import error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/agents/ab%00cd/config",
        "/api/v1/agents/cards/config?version=%00",
        "/admin/monitoring/agentmetric/compare/?agent=%00",
        "/admin/agents/agent/?q=%00",
    ],
)
def test_nul_character_in_the_address__400_not_a_database_error(client, runtime_client, portal_admin, url):
    if url.startswith("/api/"):
        response = runtime_client.get(url)
        assert response.status_code == 400 and error_of(response)["code"] == "bad_request"
    else:
        client.force_login(portal_admin)
        assert client.get(url).status_code == 400
