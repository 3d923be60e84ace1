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
