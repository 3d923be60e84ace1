"""OpenAPI pieces every endpoint shares: the error body and its documented responses."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_authenticated, not_found.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(help_text="Field name → messages (empty unless the input was invalid).")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_responses(**descriptions: str) -> dict[int, OpenApiResponse]:
    """``error_responses(e400="...", e401="...")`` → documented responses with the error body."""
    return {int(code[1:]): OpenApiResponse(ErrorSerializer, description=text) for code, text in descriptions.items()}


def document_strict_requests(result, generator, request, public):
    """drf-spectacular post-processing hook: request bodies of serializers that refuse unknown keys
    (``StrictFieldsMixin``) get ``additionalProperties: false``, and their ``openapi_required_one_of``
    fields a ``oneOf`` of ``required`` — so the document refuses what the API refuses."""
    from hive_portal.api.serializers import StrictFieldsMixin

    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        serializer = component.object
        if component.type != "schemas" or component.name not in schemas or not component.name.endswith("Request"):
            continue
        cls = serializer if isinstance(serializer, type) else type(serializer)
        if not issubclass(cls, StrictFieldsMixin):
            continue
        schema = schemas[component.name]
        schema["additionalProperties"] = False
        instance = serializer if not isinstance(serializer, type) else serializer()
        for field_name, field in instance.fields.items():  # DRF's allow_empty=False is minItems: 1
            if getattr(field, "allow_empty", True) is False and field_name in schema.get("properties", {}):
                schema["properties"][field_name].setdefault("minItems", 1)
        if cls.openapi_required_one_of:
            schema["oneOf"] = [{"required": [name]} for name in cls.openapi_required_one_of]
    # PostgreSQL text cannot hold U+0000, so the API refuses it in every string it takes (400 naming the field).
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _refuse_nul(schema)
    # Every request body the API takes is required: an empty body is refused (400), even where each field
    # alone is optional (knowledge search's query/embedding).
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["requestBody"]["required"] = True
    return result


NO_NUL = "^[^\\u0000]*$"


def _refuse_nul(schema) -> None:
    """Give every string of a request schema (nested ones too) a pattern without U+0000."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "string" and "pattern" not in node and "format" not in node and "enum" not in node:
                node["pattern"] = NO_NUL
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
