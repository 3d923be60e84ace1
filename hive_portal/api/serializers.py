"""Serializer pieces every API request shares: unknown keys refused, text that must be text."""

from __future__ import annotations

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse keys the request does not define: a typo (``response_ms``, ``limt``) must not be silently
    ignored."""

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
