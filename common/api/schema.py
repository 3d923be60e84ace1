"""OpenAPI pieces every endpoint shares: the error body and its documented responses."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_authenticated, not_found.")
    message = serializers.CharField(help_text="A sentence for people.")
    # The error body's key is "fields"; DRF takes declared fields out of the class, so it does not shadow
    # Serializer.fields at runtime — only the type checker sees the two names meet.
    fields = serializers.DictField(help_text="Field name → messages (empty unless the input was invalid).")  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_responses(**descriptions: str) -> dict[int, OpenApiResponse]:
    """``error_responses(e400="...", e401="...")`` → documented responses with the error body."""
    return {int(code[1:]): OpenApiResponse(ErrorSerializer, description=text) for code, text in descriptions.items()}


def document_strict_requests(result, generator, request, public):
    """drf-spectacular post-processing hook: request bodies of serializers that refuse unknown keys
    (``StrictFieldsMixin``) get ``additionalProperties: false``, and their ``openapi_required_one_of``
    fields a ``oneOf`` of ``required`` — so the document refuses what the API refuses."""
    from common.api.serializers import StrictFieldsMixin

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
        properties = schema.get("properties", {})
        for field_name, field in instance.fields.items():
            if field_name not in properties:
                continue
            if getattr(field, "allow_empty", True) is False:  # DRF's allow_empty=False is minItems: 1
                properties[field_name].setdefault("minItems", 1)
            # A text that must not be blank: DRF trims it (or the serializer checks it) before refusing "".
            if (
                isinstance(field, serializers.CharField)
                and not field.allow_blank
                and (field.trim_whitespace or field_name in cls.openapi_not_blank)
                and "pattern" not in properties[field_name]
            ):
                properties[field_name]["pattern"] = NOT_BLANK
        if cls.openapi_required_one_of:
            schema["oneOf"] = [{"required": [name]} for name in cls.openapi_required_one_of]
    # PostgreSQL text cannot hold U+0000, so the API refuses it in every string it takes (400 naming the field).
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _refuse_nul(schema)
    # Free-form JSON the API takes (e.g. a routing decision's typification result): any JSON value whose strings,
    # at any depth, hold no U+0000 — as the parser checks (common.json_limits).
    schemas[JSON_VALUE] = {
        "description": "Any JSON value; its strings and keys, at any depth, hold no U+0000.",
        "pattern": NO_NUL,
        "propertyNames": {"pattern": NO_NUL},
        "items": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
        "additionalProperties": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
    }
    # Every request body the API takes is required: an empty body is refused (400), even where each field
    # alone is optional (knowledge search's query/embedding).
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["requestBody"]["required"] = True
    return result


NO_NUL = "^[^\\u0000]*$"
# Python's white space (str.isspace, what DRF trims), spelled out: JSON Schema patterns are ECMA-262 regular
# expressions, whose \\s is a different set (it lacks U+001C-U+001F and U+0085, has U+FEFF).
_SPACE = "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"  # not only white space, and no U+0000
JSON_VALUE = "JSONValue"
JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
# A JSON object whose keys hold no U+0000 either (the values: JSON_VALUE_REF).
KEYS_WITHOUT_NUL = {"propertyNames": {"pattern": NO_NUL}}


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
