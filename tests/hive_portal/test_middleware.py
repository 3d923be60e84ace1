"""Guards that run before any view."""

import re as _re

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


def test_nul_character__the_page_in_the_person_s_language__the_api_in_english(client, runtime_client, portal_admin):
    client.force_login(portal_admin)
    client.cookies["django_language"] = "pt-br"
    page = client.get("/admin/agents/agent/?q=%00")
    assert page.status_code == 400 and page.content.decode() == "O endereço contém um caractere NUL."
    client.cookies["django_language"] = "en"
    assert client.get("/admin/agents/agent/?q=%00").content.decode() == "The address contains a NUL character."

    api = runtime_client.get("/api/v1/agents/cards/config?version=%00", headers={"accept-language": "pt-BR"})
    assert api.status_code == 400 and error_of(api)["message"] == "The address contains a NUL character."


# --- Content-Security-Policy ------------------------------------------------------------------------


INLINE_SCRIPT = _re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", _re.I)
INLINE_HANDLER = _re.compile(r"<[^>]+\son[a-z]+=", _re.I)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/health/", "/api/v1/bundle"])
def test_csp__sent_everywhere_and_forbids_inline_scripts(client, path):
    policy = _policy(client.get(path))
    assert policy["script-src"] == "script-src 'self'"
    assert policy["object-src"] == "object-src 'none'" and policy["frame-ancestors"] == "frame-ancestors 'none'"


@pytest.mark.django_db
def test_swagger_ui__no_inline_script_and_its_start_up_script_is_a_file(admin_client):
    html = admin_client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    sources = _re.findall(r'<script[^>]*src="([^"]+)"', html)
    local = [s for s in sources if "?script" in s or "script=" in s]
    assert local, sources
    script = admin_client.get(local[0].replace("&amp;", "&"))
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_admin_pages__no_inline_scripts_or_handlers(admin_client, make_agent):
    from django.urls import reverse

    agent = make_agent("cards", publish=True)
    from agents.services import agent_update

    agent_update(agent=agent, actor="x", note="draft", expected_revision=agent.revision, name="Changed")
    pages = [
        reverse("admin:index"),
        reverse("admin:agents_agent_change", args=[agent.pk]),
        reverse("admin:agents_agent_add"),
        reverse("admin:typification_typificationhierarchy_tree"),
        reverse("admin:typification_typificationhierarchy_console"),
        reverse("admin:monitoring_agentmetric_dashboard"),
        reverse("admin:audit_auditrecord_changelist"),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (page, INLINE_SCRIPT.search(html))
        assert not INLINE_HANDLER.search(html), (page, INLINE_HANDLER.search(html))
