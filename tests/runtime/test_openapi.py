"""The OpenAPI document is served offline and the runtime responses conform to it."""

import jsonschema
import pytest
from django.urls import reverse
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    return response.json()


def response_schema(openapi, path, status="200"):
    operation = openapi["paths"][path]["get"]
    return operation["responses"][status]["content"]["application/json"]["schema"]


def validate(openapi, instance, schema):
    """Validate ``instance`` against an OpenAPI 3.1 schema object whose $refs point into ``openapi``."""
    registry = Registry().with_resource("urn:openapi", Resource(contents=openapi, specification=DRAFT202012))
    resolved = {"$ref": "urn:openapi" + schema["$ref"]} if "$ref" in schema else schema
    jsonschema.Draft202012Validator(resolved, registry=registry).validate(instance)


def test_schema__documents_every_runtime_endpoint(openapi):
    paths = set(openapi["paths"])
    for expected in (
        "/api/v1/agents/",
        "/api/v1/agents/{agent_id}/config",
        "/api/v1/teams/",
        "/api/v1/teams/{team_id}/config",
        "/api/v1/bundle",
    ):
        assert expected in paths
    assert openapi["openapi"].startswith("3.")
    assert {"bearerAuth", "apiKeyHeader"} <= set(openapi["components"]["securitySchemes"])


def test_responses__conform_to_the_schema(openapi, runtime_client, make_team):
    make_team("router", publish=True)
    cases = [
        ("/api/v1/agents/{agent_id}/config", reverse("api:v1:agent-config", args=["cards"])),
        ("/api/v1/teams/{team_id}/config", reverse("api:v1:team-config", args=["router"])),
        ("/api/v1/agents/", reverse("api:v1:agent-index")),
        ("/api/v1/teams/", reverse("api:v1:team-index")),
        ("/api/v1/bundle", reverse("api:v1:bundle")),
    ]
    for path, url in cases:
        response = runtime_client.get(url)
        assert response.status_code == 200, url
        validate(openapi, response.json(), response_schema(openapi, path))
    missing = runtime_client.get(reverse("api:v1:agent-config", args=["nope"]))
    validate(openapi, missing.json(), response_schema(openapi, "/api/v1/agents/{agent_id}/config", "404"))


def test_swagger_ui__served_offline(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn.jsdelivr" not in html and "unpkg.com" not in html


def request_schema(openapi, path):
    return openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def post_schema(openapi, path, status):
    return openapi["paths"][path]["post"]["responses"][str(status)]["content"]["application/json"]["schema"]


POST_CASES = [
    (
        "/api/v1/metrics",
        {
            "records": [
                {
                    "agent_id": "cards",
                    "session_id": "s1",
                    "response_time_ms": 812,
                    "tokens_used": 300,
                    "success": True,
                    "config_version": 1,
                }
            ]
        },
        {"records": [{"agent_id": "cards", "response_time_ms": -5}]},
        201,
    ),
    (
        "/api/v1/routing-decisions",
        {"records": [{"session_id": "s1", "query": "meu pix não caiu", "routed_to": "pix", "confidence_score": 0.9}]},
        {"records": [{"session_id": "s1", "query": "x", "routed_to": "pix", "confidence_score": 7}]},
        201,
    ),
    ("/api/v1/typification/classify", {"text": "meu pix não caiu", "limit": 3}, {"text": ""}, 200),
    (
        "/api/v1/knowledge/search",
        {"query": "como cadastro uma chave pix", "limit": 5},
        {"query": "x", "limit": 500},
        200,
    ),
]


@pytest.mark.parametrize("path, good, bad, status", POST_CASES, ids=[c[0] for c in POST_CASES])
def test_post_endpoints__requests_and_responses_conform(openapi, runtime_client, path, good, bad, status):
    validate(openapi, good, request_schema(openapi, path))
    response = runtime_client.post(path, good, format="json")
    assert response.status_code == status, response.content
    validate(openapi, response.json(), post_schema(openapi, path, status))
    refused = runtime_client.post(path, bad, format="json")
    assert refused.status_code == 400
    validate(openapi, refused.json(), post_schema(openapi, path, 400))


def test_tree__conforms(openapi, runtime_client):
    response = runtime_client.get("/api/v1/typification/tree")
    assert response.status_code == 200
    validate(openapi, response.json(), response_schema(openapi, "/api/v1/typification/tree"))


def _valid(openapi, instance, schema) -> bool:
    try:
        validate(openapi, instance, schema)
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/knowledge/search", {"query": "pix", "limt": 5}),
        ("/api/v1/knowledge/search", {}),
        ("/api/v1/knowledge/search", {"query": "pix", "embedding": [0.1] * 1536}),
        ("/api/v1/typification/classify", {"text": "pix", "limt": 5}),
        ("/api/v1/metrics", {"records": [{"agent_id": "a", "response_time_ms": 1}], "extra": 1}),
        ("/api/v1/metrics", {"records": [{"agent_id": "a", "response_time_ms": 1, "response_ms": 1}]}),
        ("/api/v1/routing-decisions", {"records": [{"session_id": "s", "query": "q", "routed_to": "r", "x": 1}]}),
    ],
)
def test_requests_the_api_refuses__the_document_refuses_too(openapi, runtime_client, path, body):
    assert not _valid(openapi, body, request_schema(openapi, path))
    response = runtime_client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    validate(openapi, response.json(), post_schema(openapi, path, 400))


def test_agent_config__version_0__400_is_documented(openapi, runtime_client, make_agent):
    make_agent("cards", publish=True)
    operation = openapi["paths"]["/api/v1/agents/{agent_id}/config"]["get"]
    version = next(p for p in operation["parameters"] if p["name"] == "version")
    assert version["schema"]["minimum"] == 1
    response = runtime_client.get(reverse("api:v1:agent-config", args=["cards"]) + "?version=0")
    assert response.status_code == 400
    validate(openapi, response.json(), response_schema(openapi, "/api/v1/agents/{agent_id}/config", "400"))


def test_idempotency_key__format_is_documented(openapi, runtime_client):
    header = next(
        p for p in openapi["paths"]["/api/v1/metrics"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    )
    pattern = header["schema"]["pattern"]
    import re

    assert re.fullmatch(pattern.strip("^$"), "b" * 256) is None and re.fullmatch(pattern.strip("^$"), "batch-42")
    body = {"records": [{"agent_id": "cards", "response_time_ms": 1}]}
    response = runtime_client.post("/api/v1/metrics", body, format="json", HTTP_IDEMPOTENCY_KEY="b" * 256)
    assert response.status_code == 400
    validate(openapi, response.json(), post_schema(openapi, "/api/v1/metrics", 400))


def test_request_bodies__json_only_and_descriptions_written_for_users(openapi):
    for path, operations in openapi["paths"].items():
        body = operations.get("post", {}).get("requestBody")
        if body:
            assert list(body["content"]) == ["application/json"], path
    for name, schema in openapi["components"]["schemas"].items():
        assert "``" not in schema.get("description", ""), name  # reStructuredText from a code docstring
