"""Two portal nodes on one database, as two machines behind a load balancer run them (README, "Several nodes").

Each node is a real gunicorn (``gunicorn.conf.py``) with its own data folder and port, serving the test database
as the application role, its worker LISTENing as in production, no job worker; both share ``HIVE_SECRET_KEY``.
One worker per node, so the node that must notice a change is known to hold the old state warm in its caches:
what makes it answer differently is the notification from the other node's commit, not a cold cache.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from hive_portal.db_roles import APP_ROLE
from runtime.services import api_key_create

from .conftest import BASE_DIR, postgres_url, random_secret, server_params

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

GUNICORN = Path(sys.executable).with_name("gunicorn")
FAILURE_LIMIT = 3
PUBLISH_VISIBLE_WITHIN = 1.0  # seconds: the requirement
POLL_EVERY = 0.02
PASSWORD = "not-used-123"  # the people of tests/conftest.py


@dataclass
class Node:
    name: str
    base: str
    process: subprocess.Popen
    log: Path

    def url(self, path: str) -> str:
        return self.base + path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(name: str, env: dict[str, str], tmp_path: Path) -> Node:
    port = _free_port()
    data_dir = tmp_path / f"node-{name}"
    data_dir.mkdir()
    log = tmp_path / f"node-{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=BASE_DIR,
            env={**env, "HIVE_DATA_DIR": str(data_dir), "HIVE_BIND": f"127.0.0.1:{port}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master and its workers are stopped together
        )
    return Node(name=name, base=f"http://127.0.0.1:{port}", process=process, log=log)


def _wait_until_up(node: Node, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            pytest.fail(f"node {node.name} exited with {node.process.returncode}:\n{node.output()}")
        try:
            if httpx.get(node.url("/health/"), timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"node {node.name} did not answer /health/ within {timeout} s:\n{node.output()}")


def _stop(node: Node) -> None:
    if node.process.poll() is not None:
        return
    os.killpg(node.process.pid, signal.SIGTERM)
    try:
        node.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=10)


@pytest.fixture
def nodes(subprocess_env, tmp_path):
    """Nodes A and B, stopped (master and workers) whatever the test did."""
    env = subprocess_env(
        HIVE_DATABASE_URL=postgres_url({**server_params(), "user": APP_ROLE}, connection.settings_dict["NAME"]),
        HIVE_SECRET_KEY=random_secret(),
        HIVE_RUNTIME_LISTEN="true",  # the test session turns it off for itself; a node runs as in production
        HIVE_JOB_WORKER="false",
        HIVE_WORKERS="1",
        HIVE_LOGIN_FAILURE_LIMIT=str(FAILURE_LIMIT),
        HIVE_LOG_LEVEL="warning",
    )
    started: list[Node] = []
    try:
        for name in ("a", "b"):
            started.append(_start(name, env, tmp_path))
        for node in started:
            _wait_until_up(node)
        yield started
    finally:
        for node in started:
            _stop(node)


def _admin_session(node: Node, username: str, password: str) -> httpx.Client:
    """An httpx client logged in to ``node``'s admin (the login form, with its CSRF token)."""
    client = httpx.Client(base_url=node.base, timeout=10)
    client.get("/admin/login/")
    response = _login(client, username, password)
    assert response.status_code == 302 and response.headers["location"] == "/admin/", (response.status_code, node)
    return client


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    if "csrftoken" not in client.cookies:
        client.get("/admin/login/")
    return client.post(
        "/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
    )


def _post_form(client: httpx.Client, path: str, data: dict) -> httpx.Response:
    return client.post(path, data={**data, "csrfmiddlewaretoken": client.cookies["csrftoken"]})


def test_publish_on_a__served_by_b_within_1s__key_revoked_on_a__refused_by_b_on_the_next_request(
    nodes, portal_admin, make_agent, record_property, request
):
    a, b = nodes
    make_agent("cards", publish=True)
    key, raw = api_key_create(name="runtime-on-b", scopes=["config:read"])
    auth = {"Authorization": f"Bearer {raw}"}
    config = b.url(reverse("api:v1:agent-config", args=["cards"]))
    for _ in range(3):  # B builds the v1 document and validates the key: both are now in its caches
        response = httpx.get(config, headers=auth)
        assert response.status_code == 200 and response.json()["metadata"]["hive"]["version"] == 1
    agent = Agent.objects.get(agent_id="cards")
    agent_update(agent=agent, actor="eddie", note="a new name", name="Cards specialist v2")  # the draft
    admin_on_a = _admin_session(a, portal_admin.username, PASSWORD)
    request.addfinalizer(admin_on_a.close)

    sent = time.perf_counter()
    published = _post_form(admin_on_a, reverse("admin:agents_agent_publish", args=[agent.pk]), {"note": "go live"})
    committed = time.perf_counter()
    assert published.status_code == 302, published.text[:2000]

    seen = None
    polls = 0
    while seen is None and time.perf_counter() - committed <= PUBLISH_VISIBLE_WITHIN:
        polls += 1
        document = httpx.get(config, headers=auth).json()
        if document["metadata"]["hive"]["version"] == 2:
            assert document["name"] == "Cards specialist v2"
            seen = time.perf_counter()
        else:
            time.sleep(POLL_EVERY)
    assert seen is not None, (
        f"node B still served v1 {PUBLISH_VISIBLE_WITHIN} s after node A published v2 ({polls} polls)\n"
        f"--- node B ---\n{b.output()}"
    )
    record_property("publish_to_visible_ms", round((seen - committed) * 1000, 1))
    record_property("publish_request_to_visible_ms", round((seen - sent) * 1000, 1))
    record_property("polls_until_visible", polls)
    print(  # the figure the README quotes (run with -s to see it)
        f"publish on A -> v2 served by B: {(seen - committed) * 1000:.1f} ms after A answered the publish "
        f"({(seen - sent) * 1000:.1f} ms after it was sent), poll {polls}"
    )

    revoked = _post_form(
        admin_on_a,
        reverse("admin:runtime_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": str(key.pk)},
    )
    assert revoked.status_code == 302, revoked.text[:2000]
    refused = httpx.get(config, headers=auth)  # the very next request, on the other node
    assert refused.status_code == 401, refused.text
    assert "revoked" in refused.json()["error"]["message"]


def test_login_lockout_on_a__enforced_on_b__a_session_from_a__valid_on_b(nodes, portal_admin, publisher):
    a, b = nodes
    with httpx.Client(base_url=a.base, timeout=10) as attacker:
        for attempt in range(1, FAILURE_LIMIT + 1):
            response = _login(attacker, portal_admin.username, "wrong-password")
            assert response.status_code == (429 if attempt == FAILURE_LIMIT else 200), attempt

    with httpx.Client(base_url=b.base, timeout=10) as on_b:
        response = _login(on_b, portal_admin.username, PASSWORD)  # the right password, on the other node
        assert response.status_code == 429 and "Account locked" in response.text
        assert "sessionid" not in on_b.cookies

    # A session opened on A is a session on B: sessions live in the database and both nodes sign with one key.
    with closing(_admin_session(a, publisher.username, PASSWORD)) as on_a:
        with httpx.Client(base_url=b.base, timeout=10, cookies=on_a.cookies) as carried:
            page = carried.get("/admin/")
    assert page.status_code == 200 and publisher.username in page.text
