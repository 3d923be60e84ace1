"""Serializer pieces every API request shares: unknown keys refused, text that must be text."""

from __future__ import annotations

from rest_framework import serializers


class StrictFieldsMixin:
    """A key not listed here is refused with 400 (`Unknown field.`)."""

    # A typo (``response_ms``, ``limt``) must not be silently ignored. The OpenAPI document says so with
    # ``additionalProperties: false`` (``common.api.schema.document_strict_requests``); the docstring
    # above is the description drf-spectacular shows for every request that uses this mixin.
    openapi_required_one_of: tuple[str, ...] = ()  # "give exactly one of these fields", documented as oneOf
    openapi_not_blank: tuple[str, ...] = ()  # untrimmed text fields the serializer refuses when only white space

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields), key=str)
            if unknown:
                raise serializers.ValidationError({str(name): ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A ``CharField`` that takes only a JSON string: DRF's turns ``0`` or ``true`` into text."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
