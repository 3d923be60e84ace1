"""Every admin page the suite can reach, as every role, with components in every draft state: no page may
hold a form inside a form, or a submit button that belongs to no form.

A nested form is invisible to request-level tests (they post the data directly) but fatal in a browser: the
inner ``</form>`` closes the outer form early, so its Save buttons submit nothing. This crawl follows every
admin link from the index, so a page added later is checked without anyone listing it here.
"""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings

from hive_portal.testing import html_form_problems

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

ROLES = ("Viewer", "Prompt editor", "Publisher", "Admin", "superuser")
# Pages of one shape (the same path with other ids) checked at most this often: enough to see every
# draft state of every component, without walking thousands of metric rows.
PER_SHAPE = 8
MAX_PAGES = 600
# GET pages that change nothing but are reached only by a form or a script, not by a link.
EXTRA_PAGES = (
    "/admin/typification/typificationhierarchy/tree/?q=cart",
    "/admin/typification/typificationhierarchy/console/?text=perdi+meu+cartao",
    "/admin/knowledge/knowledgeentry/?similar_to=cart%C3%A3o+bloqueado",
)
SKIP = re.compile(r"/admin/logout/|\.csv|/export|/jsi18n/|/r/\d+/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _shape(path: str) -> str:
    return re.sub(r"/[^/]*\d[^/]*/", "/N/", path)


def crawl(client) -> tuple[dict[str, list[str]], int]:
    """Visit admin pages breadth-first from the index; return the problems per page and the page count."""
    queue = deque(["/admin/", *EXTRA_PAGES])
    seen: set[str] = set(queue)
    shapes: Counter[str] = Counter()
    problems: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        visited += 1
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        found = html_form_problems(html)
        if found:
            problems[url] = found
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc or not target.path.startswith("/admin/") or SKIP.search(target.path):
                continue
            # Each path once, plus one sample of each query-string filter a changelist offers.
            key = target.path if not target.query else f"{target.path}?{target.query.split('=')[0]}"
            if key in seen:
                continue
            shape = _shape(key)
            if shapes[shape] >= PER_SHAPE:
                continue
            seen.add(key)
            shapes[shape] += 1
            queue.append(f"{target.path}?{target.query}" if target.query else target.path)
    return problems, visited


@pytest.fixture
def populated_portal(components_in_every_state):
    """The demo (knowledge, typification, metrics, routes, API keys) plus components in every draft state,
    and a routing draft on top of the demo's published routing (the browser tests see its other states)."""
    call_command("load_demo", stdout=io.StringIO())
    from runtime.services import api_key_create
    from typification.services import typification_create

    api_key_create(name="crawl-key", scopes=["config:read"])
    typification_create(level1="Seguros", routing_keywords=["seguro"], actor="crawl-setup", reason="a routing draft")
    return components_in_every_state


@pytest.mark.parametrize("role", ROLES)
@override_settings(HIVE_REQUIRE_REVIEW=True)
def test_every_admin_page__has_no_nested_form_and_no_orphan_submit_button(
    client, django_user_model, populated_portal, role
):
    if role == "superuser":
        user = django_user_model.objects.create_superuser(username="crawl-root", password="x-crawl-123")
    else:
        user = django_user_model.objects.create_user(username=f"crawl-{role}", password="x-crawl-123", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)

    problems, visited = crawl(client)

    assert visited > 40, f"the crawl reached only {visited} pages: links are no longer followed"
    assert problems == {}, "\n".join(f"{url}: {p}" for url, found in problems.items() for p in found)


def test_crawl__reaches_every_change_form_state(client, django_user_model, populated_portal):
    """The crawl must actually visit the pages this file exists for: each state's agent, team and fragment form."""
    user = django_user_model.objects.create_superuser(username="crawl-root", password="x-crawl-123")
    client.force_login(user)
    visited: list[str] = []
    original_get = client.get

    def recording_get(path, *args, **kwargs):
        visited.append(path)
        return original_get(path, *args, **kwargs)

    client.get = recording_get
    crawl(client)
    for kind, objects in populated_portal.items():
        path = {"agent": "agents/agent", "team": "teams/team", "fragment": "prompts/promptfragment"}[kind]
        for state, obj in objects.items():
            pages = ("change", "versions") if state == "no_draft" else ("change", "publish", "versions")
            for page in pages:
                url = f"/admin/{path}/{obj.pk}/{page}/"
                assert url in visited, f"the {page} page of the {kind} with {state} was not crawled: {url}"
    from typification.models import RoutingTable

    routing = RoutingTable.objects.get().pk
    for page in ("change", "publish", "versions"):
        url = f"/admin/typification/routingtable/{routing}/{page}/"
        assert url in visited, f"the routing's {page} page was not crawled: {url}"


def test_form_checker__finds_a_nested_form_and_an_orphan_button():
    """The checker itself: what the agent form looked like before the status panel moved out of it."""
    broken = (
        '<form method="post" id="agent_form"><div><form method="post" action="activate/">'
        '<button type="submit">Deactivate</button></form></div>'
        '<input type="submit" name="_save" value="Save"></form>'
    )
    problems = html_form_problems(broken)
    assert any(p.startswith("nested form") for p in problems), problems
    assert html_form_problems('<form id="f"></form><button form="f">Go</button>') == []
    assert html_form_problems('<button form="missing">Go</button>')[0].startswith("submit button names a form")
    assert html_form_problems('<div><button type="button">Not a submit</button></div>') == []
