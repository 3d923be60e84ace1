"""``POST runtime/report``: a runtime says which tool names its Agno registry provides."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.selectors import tool_list
from common.api import key_environment
from common.api.schema import error_responses
from runtime.api.serializers import RuntimeReportResultSerializer, RuntimeReportSerializer
from runtime.services import runtime_report_record


class RuntimeReportView(APIView):
    """Record what a runtime provides; the admin shows per tool which runtimes provide it and when they were
    last seen, and warns about agents that use a tool none provides."""

    required_scope = "config:read"

    @extend_schema(
        operation_id="runtime_report",
        summary="Report the tools this runtime provides",
        description=(
            "The runtime client sends it after its first fetch and then every few minutes while it runs. A report "
            "replaces what the same API key and runtime name reported before. Scope `config:read`; only API keys "
            "report (a person's session gets 403)."
        ),
        request=RuntimeReportSerializer,
        responses={
            200: RuntimeReportResultSerializer,
            **error_responses(
                e400="The body is invalid; `fields` names each problem (`tools`, `runtime`).",
                e401="Missing, unknown, revoked or expired API key.",
                e403="The key lacks the `config:read` scope, or the caller is not an API key.",
            ),
        },
        examples=[
            OpenApiExample(
                "Report",
                value={"runtime": "pix-bot", "version": "2.4.1", "tools": ["card_lookup", "pix_transaction_lookup"]},
                request_only=True,
            )
        ],
        tags=["runtime"],
    )
    def post(self, request):
        key = getattr(request.user, "key", None)
        if key is None:
            raise PermissionDenied("Only a runtime's API key reports what it provides.")
        serializer = RuntimeReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        environment = key_environment(request) or key.environment
        report = runtime_report_record(
            api_key_id=key.id,
            environment=environment,
            runtime=data["runtime"],
            version=data["version"],
            tools=data["tools"],
        )
        known = set(tool_list().filter(name__in=report.tools).values_list("name", flat=True))
        body = {
            "runtime": report.runtime,
            "environment": report.environment,
            "tools": len(report.tools),
            "not_in_catalogue": [name for name in report.tools if name not in known],
        }
        return Response(RuntimeReportResultSerializer(body).data, status=status.HTTP_200_OK)
