from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from hive_portal.api.serializers import StrictFieldsMixin
from monitoring.services import MAX_BATCH

INT_MAX = 2_147_483_647
FUTURE_TOLERANCE = timedelta(hours=1)


def _not_in_future(value):
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise serializers.ValidationError("Cannot be more than an hour in the future; check the runtime's clock.")
    return value


class AgentMetricRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    agent_id = serializers.CharField(max_length=255, help_text="The agent's ID, as in its configuration.")
    session_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    response_time_ms = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    tokens_used = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)
    success = serializers.BooleanField(default=True)
    error_message = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    config_version = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="The published configuration version the runtime ran with.",
    )
    created_at = serializers.DateTimeField(
        required=False, validators=[_not_in_future], help_text="When the run happened (ISO 8601); default: now."
    )

    def validate(self, attrs):
        attrs.setdefault("created_at", timezone.now())
        return attrs


class TypificationResultField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        path = value.get("path")
        if path is not None and (
            not isinstance(path, list) or not 1 <= len(path) <= 5 or not all(isinstance(p, str) and p for p in path)
        ):
            raise serializers.ValidationError("“path” must be a list of 1 to 5 level names.")
        unit = value.get("business_unit")
        if unit is not None and (not isinstance(unit, str) or not unit or len(unit) > 50):
            raise serializers.ValidationError("“business_unit” must be a text of 1 to 50 characters.")
        return value


class RoutingDecisionRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    session_id = serializers.CharField(max_length=255)
    query = serializers.CharField(max_length=20_000, trim_whitespace=False, help_text="The customer's message.")
    routed_to = serializers.CharField(max_length=255, help_text="The agent or team ID the message went to.")
    confidence_score = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True, default=None)
    typification_result = TypificationResultField(
        required=False,
        default=dict,
        help_text="The chosen typification: {\"business_unit\": …, \"path\": [level1, …]} (more keys allowed).",
    )
    config_version = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="The published version of the routing team's configuration.",
    )
    created_at = serializers.DateTimeField(required=False, validators=[_not_in_future])

    def validate_query(self, value):
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate(self, attrs):
        attrs.setdefault("created_at", timezone.now())
        return attrs


class AgentMetricBatchSerializer(StrictFieldsMixin, serializers.Serializer):
    records = AgentMetricRecordSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class RoutingDecisionBatchSerializer(StrictFieldsMixin, serializers.Serializer):
    records = RoutingDecisionRecordSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Records in the batch.")
    stored = serializers.IntegerField(help_text="Records written by this request: 0 when the batch was a retry.")
    replayed = serializers.BooleanField(help_text="True when the Idempotency-Key had already been stored.")
    idempotency_key = serializers.CharField(allow_null=True)
