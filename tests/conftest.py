import os
import shutil

import pytest

from hive_portal.testing import key_client, make_api_key, reset_process_caches


@pytest.fixture(scope="session", autouse=True)
def _no_stray_sessions_at_teardown(django_db_setup, django_db_blocker):
    """Live-server threads and listeners may leave sessions on the test database; end them before
    the test database is dropped, so the drop does not fail."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    reset_process_caches()
    yield
    reset_process_caches()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a Portuguese page leaves its language active in the thread (Django
    does not reset it after a response), and forms used outside a request would speak it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api_key_factory(db):
    counter = {"n": 0}

    def factory(*scopes, name=None):
        counter["n"] += 1
        return make_api_key(name=name or f"key-{counter['n']}", scopes=scopes or ("config:read",))

    return factory


@pytest.fixture
def runtime_client(api_key_factory):
    """An API client holding a key with every scope."""
    _, raw = api_key_factory("config:read", "metrics:write", "knowledge:search", "typification:read", name="runtime")
    return key_client(raw)


# --- People in each role ---------------------------------------------------------------------


def _user_in(role: str, username: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username=username, password="not-used-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(db):
    return _user_in("Viewer", "vera-viewer")


@pytest.fixture
def editor(db):
    return _user_in("Prompt editor", "eddie-editor")


@pytest.fixture
def other_editor(db):
    return _user_in("Prompt editor", "erin-editor")


@pytest.fixture
def publisher(db):
    return _user_in("Publisher", "paula-publisher")


@pytest.fixture
def second_publisher(db):
    return _user_in("Publisher", "peter-publisher")


@pytest.fixture
def portal_admin(db):
    return _user_in("Admin", "ada-admin")


# --- Components --------------------------------------------------------------------------------

AGENT_DEFAULTS = {
    "name": "Cards specialist",
    "model_provider": "openai",
    "model_name": "gpt-4o",
    "model_settings": {"temperature": 0.2},
    "role": "Answers card questions",
    "description": "Cards unit specialist",
    "instructions": ["Be concise.", "Never ask for the card's CVV."],
    "tools": ["card_lookup"],
    "parameters": {"markdown": True},
}


@pytest.fixture
def make_agent(db):
    from agents.services import agent_create
    from versioning.components import get_kind
    from versioning.services import component_publish

    def factory(agent_id="cards", *, publish=False, actor="test-setup", **overrides):
        fields = {**AGENT_DEFAULTS, **overrides}
        agent = agent_create(actor=actor, note="created in a test", agent_id=agent_id, **fields)
        if publish:
            component_publish(kind=get_kind("agent"), component_id=agent_id, actor=actor)
            agent.refresh_from_db()
        return agent

    return factory


@pytest.fixture
def make_team(db, make_agent):
    from teams.services import team_create
    from versioning.components import get_kind
    from versioning.services import component_publish

    def factory(team_id="router", *, members=None, publish=False, actor="test-setup", **overrides):
        if members is None:
            members = [make_agent("cards", publish=True), make_agent("pix", publish=True, name="Pix specialist")]
        fields = {"name": "Router", "mode": "route", "instructions": ["Route to one specialist."], **overrides}
        team = team_create(actor=actor, note="created in a test", members=members, team_id=team_id, **fields)
        if publish:
            component_publish(kind=get_kind("team"), component_id=team_id, actor=actor)
            team.refresh_from_db()
        return team

    return factory


# --- A real browser ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download does not work here).

    One browser per test module (each test opens its own pages, whose contexts share no cookies): starting
    Chromium for each of the many role x state cases cost more than the cases themselves."""
    from playwright.sync_api import sync_playwright  # a pinned test dependency (requirements-dev.txt)

    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is required for the browser tests: run scripts/ensure_chromium.sh")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--headless",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--no-first-run",
                ],
            )
            yield launched
            launched.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# --- Components in every draft state --------------------------------------------------------------

STATE_AGENTS = {"no_draft": "cards", "draft": "pix", "approved": "credit", "never_published": "fresh"}
STATE_TEAMS = {"no_draft": "router", "draft": "router-draft", "approved": "router-approved"}
STATE_FRAGMENTS = {"no_draft": "tone-of-voice", "draft": "lgpd", "approved": "escalation"}


@pytest.fixture
def components_in_every_state(make_agent, make_team):
    """Agents, teams and prompt fragments with no draft, an open draft and an approved draft (plus a never-published
    agent): every state the change form and its status panel can be in. Returns ``{kind: {state: obj}}``."""
    from agents.services import agent_update
    from prompts.services import fragment_create, fragment_update
    from teams.services import team_update
    from versioning.components import get_kind
    from versioning.services import component_publish, draft_approve

    agents = {
        "no_draft": make_agent("cards", publish=True),
        "draft": make_agent("pix", publish=True, name="Pix specialist"),
        "approved": make_agent("credit", publish=True, name="Credit specialist"),
        "never_published": make_agent("fresh", name="Fresh specialist"),
    }
    members = [agents["no_draft"], agents["draft"]]
    teams = {
        state: make_team(team_id, members=members, publish=True, name=f"Router {state}")
        for state, team_id in STATE_TEAMS.items()
    }
    for state in ("draft", "approved"):
        agent = agent_update(agent=agents[state], actor="test-setup", note="A draft", role=f"{state} role")
        team = team_update(team=teams[state], actor="test-setup", note="A draft", description=f"{state} team")
        agents[state], teams[state] = agent, team
    fragments = {}
    for state, name in STATE_FRAGMENTS.items():
        fragment = fragment_create(actor="test-setup", note="A fragment", name=name, title=f"Fragment {state}",
                                   text=f"Shared text {state}.")  # fmt: skip
        component_publish(kind=get_kind("fragment"), component_id=name, actor="test-setup")
        if state != "no_draft":
            fragment = fragment_update(fragment=fragment, actor="test-setup", note="A draft", text=f"New {state}.")
        fragments[state] = fragment
    for kind, obj in (("agent", agents["approved"]), ("team", teams["approved"]), ("fragment", fragments["approved"])):
        draft_approve(kind=get_kind(kind), component_id=get_kind(kind).component_id(obj), actor="another-reviewer")
    return {"agent": agents, "team": teams, "fragment": fragments}


@pytest.fixture
def database_outage():
    """``(stop, start)``: really stop and restart the test session's embedded PostgreSQL.
    ``start(reset=False)`` leaves the portal to notice the recovery by itself."""
    from django.conf import settings
    from django.db import connection, connections

    from common.database_gate import database_gate
    from hive_portal.embedded_db import start_server, stop_server

    if not settings.HIVE_EMBEDDED_DATABASE:
        pytest.skip("needs the embedded test database, which the test can stop and start")
    pgdata = settings.DATA_DIR / "pgdata"

    def stop():
        assert stop_server(pgdata)

    def start(reset=True):
        start_server(pgdata)
        if reset:
            connections.close_all()
            connection.close_pool()
            database_gate.reset()

    yield stop, start
    start()  # whatever happened, leave the session's database running (attaching is idempotent)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Tests that stop and restart the session's PostgreSQL run last (after pytest-django's own ordering):
    a browser test run after such a restart saw its first query fail with "terminating connection due to
    administrator command", although each passes alone. Stable: the rest keep their order."""
    items.sort(key=lambda item: "database_outage" in getattr(item, "fixturenames", ()))
