from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.schema import JSON_VALUE_REF, KEYS_WITHOUT_NUL
from common.api.serializers import StrictFieldsMixin
from common.json_limits import text_problem
from monitoring.services import MAX_BATCH

INT_MAX = 2_147_483_647
FUTURE_TOLERANCE = timedelta(hours=1)


def _not_in_future(value):
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise serializers.ValidationError("Cannot be more than an hour in the future; check the runtime's clock.")
    return value


class FastPathListSerializer(serializers.ListSerializer):
    """Validates each record with the child's ``fast_validate`` — plain Python for records already in
    their canonical JSON form — and falls back to DRF's field-by-field validation for anything else, so
    errors and coercions stay DRF's. Batches of 1,000 records spent most of their time in DRF's
    per-field machinery (bench/ingest.py)."""

    def to_internal_value(self, data):
        # Once per batch, not per record: the time zone lookup and "now" dominated the fast path.
        self._clock = (timezone.get_current_timezone(), timezone.now())
        return super().to_internal_value(data)

    def run_child_validation(self, data):
        tz, now = getattr(self, "_clock", (None, None))
        fast = self.child.fast_validate(data, tz=tz, now=now)
        return fast if fast is not None else super().run_child_validation(data)


def _text(value, *, max_length: int, trim: bool = True, blank: bool = True):
    """A JSON string as DRF's CharField would accept it (trimmed, length, no NUL/surrogate), else None."""
    if type(value) is not str:
        return None
    if trim:
        value = value.strip()
    if (not blank and not value) or len(value) > max_length:
        return None
    if "\x00" in value or (not value.isascii() and text_problem(value) is not None):
        return None
    return value


def _integer(value, *, minimum: int, maximum: int = INT_MAX):
    return value if type(value) is int and minimum <= value <= maximum else None


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
        required=False,
        validators=[_not_in_future],
        help_text="When the run happened (ISO 8601, at most an hour in the future); default: now.",
    )

    class Meta:
        list_serializer_class = FastPathListSerializer

    FIELDS = frozenset(
        (
            "agent_id",
            "session_id",
            "response_time_ms",
            "tokens_used",
            "success",
            "error_message",
            "config_version",
            "created_at",
        )
    )

    def validate(self, attrs):
        attrs.setdefault("created_at", timezone.now())
        return attrs

    def fast_validate(self, data, *, tz=None, now=None) -> dict | None:
        """What DRF's validation returns for ``data``, computed directly; None when ``data`` is not in the
        canonical form (DRF then validates it, coercing or refusing with its own messages)."""
        if type(data) is not dict or not self.FIELDS.issuperset(data):
            return None
        agent_id = _text(data.get("agent_id"), max_length=255, blank=False)
        session_id = _text(data.get("session_id", ""), max_length=255)
        error_message = _text(data.get("error_message", ""), max_length=10_000, trim=False)
        response_time_ms = _integer(data.get("response_time_ms"), minimum=0)
        tokens_used = _integer(data.get("tokens_used", 0), minimum=0)
        success = data.get("success", True)
        config_version = data.get("config_version")
        if (
            agent_id is None
            or session_id is None
            or error_message is None
            or response_time_ms is None
            or tokens_used is None
            or type(success) is not bool
            or (config_version is not None and _integer(config_version, minimum=1) is None)
        ):
            return None
        if "created_at" in data:
            raw = data["created_at"]
            try:
                parsed = parse_datetime(raw) if type(raw) is str else None
            except ValueError:  # well formed, impossible date: DRF's message
                return None
            if parsed is None or parsed.tzinfo is None:
                return None  # naive, or not ISO 8601: DRF's rules (current time zone, messages)
            now = now or timezone.now()
            created_at = parsed.astimezone(tz or timezone.get_current_timezone())
            if created_at > now + FUTURE_TOLERANCE:
                return None
        else:
            created_at = now or timezone.now()
        return {
            "agent_id": agent_id,
            "session_id": session_id,
            "response_time_ms": response_time_ms,
            "tokens_used": tokens_used,
            "success": success,
            "error_message": error_message,
            "config_version": config_version,
            "created_at": created_at,
        }


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "business_unit": {"type": "string", "minLength": 1, "maxLength": 50},
            "path": {"type": "array", "minItems": 1, "maxItems": 5, "items": {"type": "string", "minLength": 1}},
        },
        "additionalProperties": JSON_VALUE_REF,
        **KEYS_WITHOUT_NUL,
    }
)
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
    openapi_not_blank = ("query",)

    session_id = serializers.CharField(max_length=255)
    query = serializers.CharField(max_length=20_000, trim_whitespace=False, help_text="The customer's message.")
    routed_to = serializers.CharField(max_length=255, help_text="The agent or team ID the message went to.")
    confidence_score = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True, default=None)
    typification_result = TypificationResultField(
        required=False,
        default=dict,
        help_text='The chosen typification: {"business_unit": …, "path": [level1, …]} (more keys allowed).',
    )
    config_version = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="The published version of the routing team's configuration.",
    )
    created_at = serializers.DateTimeField(
        required=False,
        validators=[_not_in_future],
        help_text="When the decision was made (ISO 8601, at most an hour in the future); default: now.",
    )

    def validate_query(self, value):
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate(self, attrs):
        attrs.setdefault("created_at", timezone.now())
        return attrs


class AgentMetricBatchSerializer(StrictFieldsMixin, serializers.Serializer):
    records = FastPathListSerializer(child=AgentMetricRecordSerializer(), allow_empty=False, max_length=MAX_BATCH)


class RoutingDecisionBatchSerializer(StrictFieldsMixin, serializers.Serializer):
    records: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=RoutingDecisionRecordSerializer(), allow_empty=False, max_length=MAX_BATCH
    )


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Records in the batch.")
    stored = serializers.IntegerField(help_text="Records written by this request: 0 when the batch was a retry.")
    replayed = serializers.BooleanField(help_text="True when the Idempotency-Key had already been stored.")
    idempotency_key = serializers.CharField(allow_null=True)
