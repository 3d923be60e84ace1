"""Admin login is protected against brute force: lockout per user and address, lifted after the cool-off."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.sqlite_smoke, pytest.mark.django_db]

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "right-password-123"
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True, is_superuser=True)


def _login(client, username, password, address):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def _fail_until_locked(client, username, address):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = _login(client, username, "wrong-password", address)
        if attempt < settings.AXES_FAILURE_LIMIT:
            # Below the limit: the login form again, with its error.
            assert response.status_code == 200, attempt
            assert "Please enter the correct username and password" in response.content.decode()
    return response


def test_lockout__after_limit__right_password_refused(client, staff):
    response = _fail_until_locked(client, "ada", ATTACKER)
    assert response.status_code == 429

    response = _login(client, "ada", PASSWORD, ATTACKER)

    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_lockout__page__names_the_cool_off_and_renders_in_the_admin(client, staff):
    response = _fail_until_locked(client, "ada", ATTACKER)
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Hive Portal" in body
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"{minutes} minutes" in body


def test_lockout__page_in_portuguese__title_included(client, staff):
    client.cookies["django_language"] = "pt-br"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "ada", "wrong-password", ATTACKER)
    page = _login(client, "ada", PASSWORD, ATTACKER).content.decode()
    assert "<title>Conta bloqueada |" in page and "Conta bloqueada: tentativas de login malsucedidas" in page
    assert "Account locked" not in page


def test_lockout__same_user_other_address__can_log_in(client, staff):
    _fail_until_locked(client, "ada", ATTACKER)

    assert _logged_in(_login(client, "ada", PASSWORD, OFFICE))


def test_lockout__other_user_same_address__can_log_in(client, staff):
    get_user_model().objects.create_user("bob", password=PASSWORD, is_staff=True)
    _fail_until_locked(client, "ada", ATTACKER)

    assert _logged_in(_login(client, "bob", PASSWORD, ATTACKER))


def test_lockout__after_cool_off__login_works_again(client, staff):
    _fail_until_locked(client, "ada", ATTACKER)
    assert _login(client, "ada", PASSWORD, ATTACKER).status_code == 429

    # Let the cool-off pass: the attempts are now older than AXES_COOLOFF_TIME.
    AccessAttempt.objects.filter(username="ada").update(
        attempt_time=AccessAttempt.objects.get(username="ada").attempt_time - settings.AXES_COOLOFF_TIME
    )

    assert _logged_in(_login(client, "ada", PASSWORD, ATTACKER))


def test_lockout__one_failure_short__success_resets_the_count(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "ada", "wrong-password", ATTACKER)
    assert _logged_in(_login(client, "ada", PASSWORD, ATTACKER))
    client.logout()

    # The count starts again: one more failure does not lock.
    assert _login(client, "ada", "wrong-password", ATTACKER).status_code == 200
    assert _logged_in(_login(client, "ada", PASSWORD, ATTACKER))


PROXY = "10.0.0.2"


def test_lockout__behind_a_trusted_proxy__per_client_address(client, staff, settings):
    settings.HIVE_TRUSTED_PROXY_COUNT = 1

    def via_proxy(password, client_address, spoofed=""):
        # The proxy appends the address it received the request from to whatever the client sent.
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return client.post(
            LOGIN, {"username": "ada", "password": password}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )

    for n in range(settings.AXES_FAILURE_LIMIT):
        via_proxy("wrong-password", ATTACKER, spoofed=f"192.0.2.{n}")  # a forged header changes nothing
    assert via_proxy(PASSWORD, ATTACKER).status_code == 429
    assert _logged_in(via_proxy(PASSWORD, OFFICE))  # the office behind the same proxy is not locked out


def test_client_ip__without_trusted_proxies__ignores_forwarded_headers(rf, settings):
    from hive_portal.lockout import client_ip

    settings.HIVE_TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert client_ip(request) == PROXY
