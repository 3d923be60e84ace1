"""The knowledge search's fast path (runtime/api/fast_search.py): a plainly valid vector search from a key this
worker knows is answered without DRF, with the same body DRF gives; anything else is DRF's to answer."""

import pytest
from django.urls import reverse

from hive_portal.testing import error_of, key_client
from knowledge.api.views import KnowledgeSearchView
from runtime.watcher import watcher
from tests.knowledge.factories import make_entries, unit_vectors

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/knowledge/search"


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
