"""The knowledge search's fast path (runtime/api/fast_search.py, called by
hive_portal.middleware.KnowledgeSearchFastPathMiddleware): a plainly valid vector search from a key this worker knows
is answered without DRF and the layers below the middleware, with the same body and headers the whole stack gives;
anything else is DRF's to answer."""

import pytest
from django.http import HttpResponse
from django.urls import path, reverse

from hive_portal.testing import error_of, key_client
from knowledge.api.views import KnowledgeSearchView
from runtime.models import ApiKey
from runtime.services import api_key_revoke
from runtime.watcher import watcher
from tests.knowledge.factories import make_entries, unit_vectors

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/knowledge/search"
FAST_PATH_MIDDLEWARE = "hive_portal.middleware.KnowledgeSearchFastPathMiddleware"


@pytest.fixture(autouse=True)
def listening(settings):
    settings.HIVE_RUNTIME_LISTEN = True
    watcher.reset()
    yield
    watcher.reset()


@pytest.fixture
def drf_calls(monkeypatch):
    """How many requests reached the DRF view's post()."""
    calls = []
    original = KnowledgeSearchView.post

    def counting(self, request, *args, **kwargs):
        calls.append(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(KnowledgeSearchView, "post", counting)
    return calls


@pytest.fixture
def searcher(api_key_factory):
    vectors = unit_vectors(40, seed=3)
    make_entries(vectors, business_units=["pix"] * 20 + ["cards"] * 20)
    _, raw = api_key_factory("knowledge:search")
    client = key_client(raw)
    query = vectors[3].tolist()
    assert client.post(URL, {"embedding": query}, format="json").status_code == 200  # validates the key: cold
    return client, query


def test_url__is_still_named_for_reverse():
    assert reverse("api:v1:knowledge:search") == URL


@pytest.mark.parametrize(
    "extra", [{}, {"limit": 5}, {"business_unit": "pix", "limit": 3}, {"category": "none-such"}, {"max_distance": 0.5}]
)
def test_warm_vector_search__skips_drf_with_the_same_body(searcher, drf_calls, extra, settings):
    client, query = searcher
    fast = client.post(URL, {"embedding": query, **extra}, format="json")
    assert fast.status_code == 200 and fast["Content-Type"] == "application/json"
    assert drf_calls == [], "answered by the fast path"
    settings.HIVE_RUNTIME_LISTEN = False  # no listener, no fast path: the DRF view answers
    watcher.reset()
    slow = client.post(URL, {"embedding": query, **extra}, format="json")
    assert len(drf_calls) == 1
    assert fast.json() == slow.json()
    assert fast.json()["count"] == len(fast.json()["results"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"embedding": [0.1, 0.2]}, "embedding"),
        ({"embedding": "x"}, "embedding"),
        ({"limt": 5}, "limt"),
        ({"limit": 0}, "limit"),
        ({"limit": True}, "limit"),
        ({"business_unit": "x" * 51}, "business_unit"),
        ({"business_unit": 7}, "business_unit"),
        ({"max_distance": 3}, "max_distance"),
    ],
)
def test_anything_not_plainly_valid__is_drf_s_with_its_errors(searcher, drf_calls, body, field):
    client, query = searcher
    response = client.post(URL, {"embedding": query, **body}, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert len(drf_calls) == 1


def test_text_query_and_unknown_key__go_through_drf(searcher, drf_calls):
    client, _ = searcher
    assert client.post(URL, {"query": "pix"}, format="json").status_code == 200
    assert len(drf_calls) == 1
    refused = key_client("hive_unknown").post(URL, {"embedding": [0.1] * 1536}, format="json")
    assert refused.status_code == 401 and error_of(refused)["code"]  # DRF's authentication refused it


def test_fast_answer__same_headers_as_drf_s(searcher, drf_calls, settings):
    """Answered above the session, CSRF, authentication and messages layers, the fast path still sends every header
    the whole stack sends (X-Frame-Options, Content-Length, the security headers, DRF's Vary and Allow)."""
    client, query = searcher
    fast = client.post(URL, {"embedding": query, "limit": 3}, format="json")
    settings.HIVE_RUNTIME_LISTEN = False
    watcher.reset()
    slow = client.post(URL, {"embedding": query, "limit": 3}, format="json")
    assert drf_calls and len(drf_calls) == 1
    assert fast.json() == slow.json()
    # Content-Length differs only as the two JSON encoders write floats (1e-05 / 1e-5).
    assert {k: v for k, v in fast.headers.items() if k != "Content-Length"} == {
        k: v for k, v in slow.headers.items() if k != "Content-Length"
    }
    assert fast["X-Frame-Options"] == "DENY" and fast["Content-Length"] == str(len(fast.content))
    assert "Content-Security-Policy" in fast and fast["X-Content-Type-Options"] == "nosniff"


def test_revoked_key__refused_on_the_next_request_not_served_fast(searcher, drf_calls):
    client, query = searcher
    key = ApiKey.objects.get(name__startswith="key-")
    api_key_revoke(key=key)
    response = client.post(URL, {"embedding": query}, format="json")
    assert response.status_code == 401 and "revoked" in error_of(response)["message"]
    assert len(drf_calls) == 0  # refused by DRF's authentication, before the view


def test_warm_key_without_the_scope__403_from_drf(searcher, api_key_factory, drf_calls):
    _, query = searcher
    _, raw = api_key_factory("config:read")
    other = key_client(raw)
    assert other.get("/api/v1/agents/").status_code == 200  # validated by this worker: warm
    response = other.post(URL, {"embedding": query}, format="json")
    assert response.status_code == 403 and "knowledge:search" in error_of(response)["message"]


def test_browser_cookies__take_the_whole_stack(searcher, drf_calls, settings):
    """A session, CSRF or messages cookie is read (and may be written) by the layers the fast path skips: such a
    request goes through them to the DRF view; a cookie of no layer's (a load balancer's) does not."""
    client, query = searcher
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    assert client.post(URL, {"embedding": query}, format="json").status_code == 200
    assert len(drf_calls) == 1
    del client.cookies[settings.SESSION_COOKIE_NAME]
    client.cookies["lb-affinity"] = "node-2"
    assert client.post(URL, {"embedding": query}, format="json").status_code == 200
    assert len(drf_calls) == 1


def test_host_not_allowed__400_as_before(searcher, drf_calls):
    client, query = searcher
    response = client.post(URL, {"embedding": query}, format="json", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert drf_calls == []


def test_middleware_below_the_fast_path__does_nothing_for_its_requests(settings):
    """KnowledgeSearchFastPathMiddleware skips the middleware below it for the requests it answers, on the grounds
    given in its docstring. A middleware added below must be weighed there first (and added to this list)."""
    below = settings.MIDDLEWARE[settings.MIDDLEWARE.index(FAST_PATH_MIDDLEWARE) + 1 :]
    assert below == [
        "hive_portal.middleware.DatabaseUnavailableMiddleware",  # the fast path declines while the database is down
        "django.contrib.sessions.middleware.SessionMiddleware",  # no session cookie: nothing read or written
        "hive_portal.middleware.PageLocaleMiddleware",  # /api/ is English; a found answer holds no text to translate
        "django.middleware.common.CommonMiddleware",  # host checked, Content-Length added by the fast path
        "django.middleware.csrf.CsrfViewMiddleware",  # the view is exempt; no CSRF cookie
        "django.contrib.auth.middleware.AuthenticationMiddleware",  # a lazy user nobody reads
        "hive_portal.middleware.PreferredLanguageMiddleware",  # acts on a login's response only
        "django.contrib.messages.middleware.MessageMiddleware",  # no messages cookie, none added
        "django.middleware.clickjacking.XFrameOptionsMiddleware",  # added by the fast path
        "axes.middleware.AxesMiddleware",  # acts on login lockouts only
        "hive_portal.middleware.ReplicaReadMiddleware",  # its routing done by the fast path (test_replicas.py)
    ]


def _pong(request):
    return HttpResponse("pong")


urlpatterns = [path("ping", _pong)]


def test_urlconf_without_the_search__the_middleware_stays_out_of_the_way(client, settings):
    settings.ROOT_URLCONF = __name__
    response = client.post("/ping", {}, content_type="application/json")
    assert response.status_code == 200 and response.content == b"pong"
