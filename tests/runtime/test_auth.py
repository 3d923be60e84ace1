"""API keys: both headers, scopes, revocation, expiry, last use, and the command that creates them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hive_portal.testing import error_of, key_client
from runtime.models import ApiKey
from runtime.services import api_key_revoke, hash_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_agent):
    return make_agent("cards", publish=True)


def url():
    return reverse("api:v1:agent-config", args=["cards"])


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_key__accepted_in_either_header(published, api_key_factory, header):
    _, raw = api_key_factory("config:read")
    assert key_client(raw, header=header).get(url()).status_code == 200


@pytest.mark.parametrize(
    "headers, code, message",
    [
        ({}, "not_authenticated", "Authentication credentials were not provided."),
        ({"HTTP_AUTHORIZATION": "Bearer hive_not-a-real-key"}, "authentication_failed", "Invalid API key."),
        ({"HTTP_X_API_KEY": "hive_not-a-real-key"}, "authentication_failed", "Invalid API key."),
        (
            {"HTTP_AUTHORIZATION": "Bearer "},
            "authentication_failed",
            "The Authorization header has no key after \u201cBearer\u201d.",
        ),
    ],
)
def test_missing_or_wrong_key__401_json(client, published, headers, code, message):
    response = client.get(url(), **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="hive"'
    assert error_of(response) == {"code": code, "message": message, "fields": {}}


def test_scope__missing_scope_is_403(published, api_key_factory):
    _, raw = api_key_factory("metrics:write")
    response = key_client(raw).get(url())
    assert response.status_code == 403
    assert "config:read" in error_of(response)["message"]


def test_revoked_key__is_refused_on_the_next_request(published, api_key_factory):
    key, raw = api_key_factory("config:read")
    client = key_client(raw)
    assert client.get(url()).status_code == 200
    api_key_revoke(key=key)
    response = client.get(url())
    assert response.status_code == 401 and "revoked" in error_of(response)["message"]


def test_expired_key__401(published, api_key_factory):
    key, raw = api_key_factory("config:read")
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(raw).get(url())
    assert response.status_code == 401 and "expired" in error_of(response)["message"]


def test_key__stored_only_as_a_hash(api_key_factory):
    key, raw = api_key_factory("config:read")
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.key_hash == hash_key(raw) and raw.startswith(stored.prefix)
    assert len(raw) >= 40


def test_last_used__recorded_without_a_write_per_request(published, api_key_factory, django_assert_max_num_queries):
    key, raw = api_key_factory("config:read")
    client = key_client(raw)
    client.get(url())
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
    with django_assert_max_num_queries(1):  # the generation read only: no UPDATE of last_used_at
        client.get(url())


def test_staff_session__may_browse_but_non_staff_may_not(client, published, publisher, django_user_model):
    client.force_login(publisher)
    assert client.get(url()).status_code == 200
    outsider = django_user_model.objects.create_user("outsider", password="x-not-used-123")
    client.force_login(outsider)
    assert client.get(url()).status_code == 403


@pytest.mark.parametrize("role", ["viewer", "editor", "publisher", "portal_admin"])
def test_staff_session__never_writes_metrics(client, request, role):
    from monitoring.models import AgentMetric, RoutingDecision

    client.force_login(request.getfixturevalue(role))
    metric = {"records": [{"agent_id": "cards", "response_time_ms": 5}]}
    decision = {"records": [{"session_id": "s", "query": "q", "routed_to": "cards"}]}
    response = client.post("/api/v1/metrics", metric, content_type="application/json")
    assert response.status_code == 403
    assert "metrics:write" in error_of(response)["message"]
    assert client.post("/api/v1/routing-decisions", decision, content_type="application/json").status_code == 403
    assert AgentMetric.objects.count() == 0 and RoutingDecision.objects.count() == 0


def test_staff_session__viewer_reads_with_the_read_scopes(client, published, viewer):
    client.force_login(viewer)
    assert client.get(url()).status_code == 200
    assert client.get(reverse("api:v1:bundle")).status_code == 200
    assert client.get("/api/v1/typification/tree").status_code == 200
    classify = client.post("/api/v1/typification/classify", {"text": "pix"}, content_type="application/json")
    assert classify.status_code == 200
    search = client.post("/api/v1/knowledge/search", {"query": "card"}, content_type="application/json")
    assert search.status_code == 200


def test_staff_session__without_a_role__has_no_scope(client, published, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="x-not-used-123", is_staff=True)
    client.force_login(clerk)
    assert client.get(url()).status_code == 403
    assert client.get(reverse("api:v1:bundle")).status_code == 403
    assert client.get("/api/v1/typification/tree").status_code == 403


def test_create_api_key_command__prints_the_key_once_as_the_last_line(published, capsys):
    call_command("create_api_key", "prod-runtime", "--scopes", "config:read,metrics:write,knowledge:search")
    out = capsys.readouterr().out.strip().splitlines()
    raw = out[-1]
    key = ApiKey.objects.get(name="prod-runtime")
    assert key.key_hash == hash_key(raw) and key.scopes == ["config:read", "knowledge:search", "metrics:write"]
    assert key_client(raw).get(url()).status_code == 200


def test_create_api_key_command__unknown_scope_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_api_key", "x", "--scopes", "config:write")
    assert not ApiKey.objects.exists()


def test_admin__creates_a_key_and_shows_it_once(client, portal_admin, published):
    client.force_login(portal_admin)
    response = client.post(reverse("admin:runtime_apikey_add"), {"name": "staging-runtime", "scopes": ["config:read"]})
    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw in response.content.decode()
    assert key_client(raw).get(url()).status_code == 200
    listing = client.get(reverse("admin:runtime_apikey_changelist")).content.decode()
    assert "staging-runtime" in listing and raw not in listing


def test_admin__past_expiry_is_a_form_error(client, portal_admin):
    client.force_login(portal_admin)
    response = client.post(
        reverse("admin:runtime_apikey_add"),
        {"name": "x", "scopes": ["config:read"], "expires_at_0": "2000-01-01", "expires_at_1": "00:00"},
    )
    assert response.status_code == 200 and "expires_at" in response.context["adminform"].form.errors


def test_api__body_over_the_limit__413_json(runtime_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = runtime_client.post(reverse("api:v1:agent-index"), data="x" * 2048, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_api__unknown_url__404_json(runtime_client):
    response = runtime_client.get("/api/v1/does-not-exist")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_unknown_keys__cache_is_bounded_and_known_keys_stay_cached(
    published, api_key_factory, django_assert_num_queries
):
    import secrets

    from runtime.authentication import MAX_UNKNOWN_KEYS, key_cache

    _, raw = api_key_factory("config:read")
    generation = 7
    assert key_cache.lookup(hash_key(raw), generation) is not None
    for _ in range(MAX_UNKNOWN_KEYS * 3):
        assert key_cache.lookup(hash_key(secrets.token_hex(16)), generation) is None
    assert len(key_cache.unknown) == MAX_UNKNOWN_KEYS
    assert len(key_cache.entries) == 1
    with django_assert_num_queries(0):
        assert key_cache.lookup(hash_key(raw), generation) is not None


def test_unknown_key__remembered_while_recent(published, django_assert_num_queries):
    from runtime.authentication import key_cache

    wrong = hash_key("hive_wrong")
    assert key_cache.lookup(wrong, 3) is None
    with django_assert_num_queries(0):
        assert key_cache.lookup(wrong, 3) is None


def test_create_api_key_command__in_portuguese(db, capsys):
    from django.core.management import load_command_class
    from django.core.management.base import CommandError
    from django.utils import translation

    call_command("create_api_key", "pt-runtime", language="pt-br")
    err = capsys.readouterr().err
    assert "Chave de API “pt-runtime” criada para " in err and "Guarde-a agora: ela não será mostrada de novo." in err
    with pytest.raises(CommandError, match="--expires-in-days deve ser 1 ou mais"):
        call_command("create_api_key", "x", "--expires-in-days", "0", language="pt-br")
    with translation.override("pt-br"):  # argparse formats the help: the scopes are filled in, nothing left over
        help_text = load_command_class("runtime", "create_api_key").create_parser("manage.py", "create_api_key")
        help_text = " ".join(help_text.format_help().split())  # argparse wraps lines
    assert "Cria uma chave de API para um runtime de agentes." in help_text
    assert "Escopos separados por vírgula: config:read," in help_text and "%(" not in help_text
