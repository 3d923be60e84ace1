import re
from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.errors import Conflict
from common.api.schema import error_responses
from monitoring.api.serializers import (
    AgentMetricBatchSerializer,
    IngestResultSerializer,
    RoutingDecisionBatchSerializer,
)
from monitoring.services import (
    MAX_BATCH,
    IdempotencyKeyReused,
    IngestResult,
    agent_metrics_ingest,
    batch_hash,
    routing_decisions_ingest,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyConflict(Conflict):
    default_code = "idempotency_key_reused"


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as flat field paths: ``{"records[3].response_time_ms": ["…"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            elif isinstance(key, int):  # DRF reports list items by index
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for inner, messages in flatten_errors(value, name).items():
                flat.setdefault(inner, []).extend(messages)
    elif isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            if item:
                flat.update(flatten_errors(item, f"{prefix}[{index}]"))
    elif isinstance(detail, list):
        flat[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _idempotency_key(request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not _KEY_PATTERN.match(key):
        raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["Use 1 to 255 visible ASCII characters, e.g. a UUID."]})
    return key


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=_KEY_PATTERN.pattern,
    description=(
        "A unique key per batch (e.g. a UUID): 1 to 255 visible ASCII characters, else 400. Retrying a batch with the same key stores nothing again and "
        "answers 200 with `replayed: true`; the same key with different records is refused with 409."
    ),
)

ERROR_RESPONSES = error_responses(
    e400="A record is invalid, or the Idempotency-Key is malformed; `fields` names each one "
    "(`records[3].response_time_ms`, `Idempotency-Key`). Nothing was stored.",
    e401="Missing, unknown, revoked or expired API key.",
    e403="The key lacks the `metrics:write` scope.",
    e409="The Idempotency-Key was already used for a different batch.",
)


class _IngestView(APIView):
    required_scope = "metrics:write"
    batch_serializer: type[serializers.Serializer]
    ingest: Callable[..., IngestResult]

    def post(self, request):
        key = _idempotency_key(request)
        serializer = self.batch_serializer(data=request.data)
        if not serializer.is_valid():
            raise exceptions.ValidationError(flatten_errors(serializer.errors))
        try:
            result = type(self).ingest(
                records=serializer.validated_data["records"],
                idempotency_key=key,
                request_hash=batch_hash(request.data),
                sent_by=str(getattr(request.user, "username", "") or ""),
                validated=True,
            )
        except IdempotencyKeyReused as exc:
            raise IdempotencyKeyConflict(str(exc)) from None
        response = Response(
            IngestResultSerializer(result.as_dict()).data,
            status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
        )
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


METRIC_EXAMPLE = {
    "records": [
        {
            "agent_id": "pix-specialist",
            "session_id": "s-8f2c",
            "response_time_ms": 1840,
            "tokens_used": 912,
            "success": True,
            "config_version": 4,
            "created_at": "2026-11-20T14:03:11Z",
        },
        {
            "agent_id": "pix-specialist",
            "session_id": "s-8f2d",
            "response_time_ms": 30000,
            "tokens_used": 0,
            "success": False,
            "error_message": "upstream timeout",
            "config_version": 4,
            "created_at": "2026-11-20T14:03:15Z",
        },
    ]
}

DECISION_EXAMPLE = {
    "records": [
        {
            "session_id": "s-8f2c",
            "query": "meu pix não caiu",
            "routed_to": "pix-specialist",
            "confidence_score": 0.91,
            "typification_result": {"business_unit": "PagBank", "path": ["PagBank", "Pix", "Pix não recebido"]},
            "config_version": 7,
            "created_at": "2026-11-20T14:03:10Z",
        }
    ]
}


class AgentMetricIngestView(_IngestView):
    """Store a batch of agent metrics."""

    batch_serializer = AgentMetricBatchSerializer
    ingest = staticmethod(agent_metrics_ingest)

    @extend_schema(
        operation_id="metrics_ingest",
        summary="Post agent metrics",
        description=(
            f"Up to {MAX_BATCH} records per request. Each record is validated; one invalid record rejects the "
            "whole batch (400, nothing stored). Scope `metrics:write`."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=AgentMetricBatchSerializer,
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("Batch", value=METRIC_EXAMPLE, request_only=True),
            OpenApiExample(
                "Stored",
                value={"accepted": 2, "stored": 2, "replayed": False, "idempotency_key": "5b0f…"},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Retry",
                value={"accepted": 2, "stored": 0, "replayed": True, "idempotency_key": "5b0f…"},
                response_only=True,
                status_codes=["200"],
            ),
        ],
        tags=["monitoring"],
    )
    def post(self, request):
        return super().post(request)


class RoutingDecisionIngestView(_IngestView):
    """Store a batch of routing decisions."""

    batch_serializer = RoutingDecisionBatchSerializer
    ingest = staticmethod(routing_decisions_ingest)

    @extend_schema(
        operation_id="routing_decisions_ingest",
        summary="Post routing decisions",
        description=(f"Up to {MAX_BATCH} records per request, all or nothing, as for metrics. Scope `metrics:write`."),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=RoutingDecisionBatchSerializer,
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("Batch", value=DECISION_EXAMPLE, request_only=True)],
        tags=["monitoring"],
    )
    def post(self, request):
        return super().post(request)
