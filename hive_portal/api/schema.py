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
