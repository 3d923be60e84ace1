import pytest
from django.test import override_settings

from hive_portal.testing import error_of, key_client
from knowledge.services import knowledge_entry_create
from tests.knowledge.factories import make_entries, unit_vectors

pytestmark = pytest.mark.django_db

URL = "/api/v1/knowledge/search"


@pytest.fixture
def entries():
    rows = [
        ("pagbank", "Cards", "How do I block a lost card?", "Open the app, go to Cards and tap Block card."),
        ("pagbank", "PIX", "My PIX transfer did not arrive", "PIX transfers can take up to 30 minutes."),
        ("adquirencia", "Sales", "How do I anticipate my card sales?", "Use Anticipate in the Sales area."),
    ]
    return [knowledge_entry_create(business_unit=b, category=c, question=q, answer=a) for b, c, q, a in rows]


@pytest.mark.sqlite_smoke
def test_search__query_returns_ranked_results_without_embeddings(runtime_client, entries):
    response = runtime_client.post(URL, {"query": "block my lost card", "limit": 2}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2 and body["embedder"] == "hashing-v1/1536"
    first = body["results"][0]
    assert set(first) == {"id", "question", "answer", "business_unit", "category", "subcategory", "distance"}
    assert first["id"] == str(entries[0].pk)
    assert body["results"][0]["distance"] <= body["results"][1]["distance"]


def test_search__filters(runtime_client, entries):
    response = runtime_client.post(URL, {"query": "card", "business_unit": "adquirencia"}, format="json")
    assert response.status_code == 200
    assert [r["business_unit"] for r in response.json()["results"]] == ["adquirencia"]
    response = runtime_client.post(URL, {"query": "card", "business_unit": "pagbank", "category": "PIX"}, format="json")
    assert [r["category"] for r in response.json()["results"]] == ["PIX"]


def test_search__embedding_query(runtime_client):
    vectors = unit_vectors(20, seed=3)
    created = make_entries(vectors, business_units="bu")
    response = runtime_client.post(URL, {"embedding": vectors[5].tolist(), "limit": 3}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["results"][0]["id"] == str(created[5].pk)
    assert body["results"][0]["distance"] == pytest.approx(0.0, abs=1e-5)
    assert body["embedder"] is None


def test_search__max_distance(runtime_client, entries):
    response = runtime_client.post(URL, {"query": "block my lost card", "max_distance": 0.0001}, format="json")
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "?!"}, "query"),
        ({"query": "card", "embedding": [0.1] * 1536}, "embedding"),
        ({"embedding": [0.1] * 3}, "embedding"),
        ({"embedding": "not a list"}, "embedding"),
        ({"embedding": [True] * 1536}, "embedding"),
        ({"embedding": [0] * 1536}, "embedding"),
        ({"query": "card", "limit": 51}, "limit"),
        ({"query": "card", "limit": 0}, "limit"),
        ({"query": "card", "limit": "many"}, "limit"),
        ({"query": "card", "max_distance": -1}, "max_distance"),
        ({"query": "card", "business_unit": "x" * 51}, "business_unit"),
        ({"query": "card", "limt": 5}, "limt"),
        ({"query": 0}, "query"),
        ({"query": "card", "business_unit": 7}, "business_unit"),
        ({"query": "card", "category": ["Cards"]}, "category"),
        ({"query": "card\x00"}, "query"),
    ],
)
def test_search__invalid_requests_name_the_field(runtime_client, payload, field):
    response = runtime_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error


def test_search__wrong_dimension_message_says_what_is_expected(runtime_client):
    response = runtime_client.post(URL, {"embedding": [0.5, 0.5]}, format="json")
    assert error_of(response)["fields"]["embedding"] == ["Expected 1536 numbers (HIVE_EMBEDDING_DIMENSIONS), got 2."]


def test_search__needs_the_knowledge_scope(api_key_factory, client):
    _, raw = api_key_factory("config:read")
    response = key_client(raw).post(URL, {"query": "card"}, format="json")
    assert response.status_code == 403
    assert "knowledge:search" in error_of(response)["message"]
    assert client.post(URL, {"query": "card"}, content_type="application/json").status_code == 401


def test_search__key_with_only_the_knowledge_scope_is_enough(api_key_factory, entries):
    _, raw = api_key_factory("knowledge:search")
    assert key_client(raw).post(URL, {"query": "card"}, format="json").status_code == 200


def test_search__embedder_down_is_503(runtime_client, entries):
    with override_settings(
        HIVE_EMBEDDER="openai", HIVE_EMBEDDING_BASE_URL="http://127.0.0.1:9/v1", HIVE_EMBEDDING_MAX_RETRIES=0
    ):
        response = runtime_client.post(URL, {"query": "card"}, format="json")
    assert response.status_code == 503
    assert "could not be embedded" in error_of(response)["message"]


def test_search__is_documented_in_the_schema(admin_client):
    response = admin_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/knowledge/search"]["post"]
    assert operation["operationId"] == "knowledge_search"
    assert "400" in operation["responses"] and "200" in operation["responses"]


def test_search__deeply_nested_body__400_not_500(runtime_client):
    body = '{"query": "card", "category": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = runtime_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "parse_error"


def test_search__nesting_over_the_limit__400_naming_the_field(runtime_client):
    body = '{"query": "card", "category": ' + "[" * 40 + "]" * 40 + "}"
    response = runtime_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert any(name.startswith("category") for name in error_of(response)["fields"])


@pytest.mark.parametrize(
    ("body", "field"),
    [('{"query": "card \\ud800"}', "query"), ('{"query": "c", "business_unit": "\\udfff"}', "business_unit")],
)
def test_search__lone_surrogate__400_naming_the_field(runtime_client, body, field):
    response = runtime_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]


@pytest.mark.postgres_only
def test_search__embedding_of_any_float32_magnitude__searched_by_direction(runtime_client):
    """Cosine distance ignores length: a vector at float32's limit searches like its unit vector (its norm
    overflowed pgvector's arithmetic: a 500 Schemathesis found)."""
    vectors = unit_vectors(5, seed=21)
    make_entries(vectors, business_units=["pix"] * 5)
    huge = (vectors[2] / abs(vectors[2]).max() * 3.4028234663852886e38).tolist()
    response = runtime_client.post("/api/v1/knowledge/search", {"embedding": huge, "limit": 3}, format="json")
    assert response.status_code == 200, response.content
    unit = runtime_client.post(
        "/api/v1/knowledge/search", {"embedding": vectors[2].tolist(), "limit": 3}, format="json"
    )
    assert [r["id"] for r in response.json()["results"]] == [r["id"] for r in unit.json()["results"]]


@pytest.mark.parametrize(
    ("value", "message"),
    [(3.5e38, "finite number between"), (1e-39, "no direction"), (0, "no direction")],
)
def test_search__embedding_beyond_float32__400(runtime_client, value, message):
    embedding = [value] + [0.0] * 1535
    response = runtime_client.post("/api/v1/knowledge/search", {"embedding": embedding}, format="json")
    assert response.status_code == 400
    assert message in error_of(response)["fields"]["embedding"][0]
