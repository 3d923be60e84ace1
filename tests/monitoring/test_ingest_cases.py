"""The ingest endpoints through the shared declarative API cases (tests/cases.py): scope, key, validation,
and the declared audit policy (runtime telemetry is not audited, and the case proves no audit row is written)."""

import pytest

from monitoring.models import AgentMetric, RoutingDecision
from tests.cases import APICreateCase
from tests.monitoring.test_ingest_api import DECISIONS, METRICS, decision, metric

pytestmark = pytest.mark.django_db

NOT_AUDITED = (
    "Runtime telemetry, thousands of rows a minute: stored append-only with its batch, not a change of "
    "configuration anyone made."
)


class TestMetricsIngest(APICreateCase):
    url = METRICS
    scope = "metrics:write"
    not_audited_because = NOT_AUDITED

    def valid_body(self):
        return {"records": [metric(), metric(session_id="s-2", success=False, error_message="timeout")]}

    def invalid_body(self):
        body = {"records": [metric(), metric(response_time_ms=-1)]}
        return body, {"records[1].response_time_ms": ["Ensure this value is greater than or equal to 0."]}

    def stored(self):
        return AgentMetric.objects.count()


class TestRoutingDecisionsIngest(APICreateCase):
    url = DECISIONS
    scope = "metrics:write"
    not_audited_because = NOT_AUDITED

    def valid_body(self):
        return {"records": [decision(), decision(confidence_score=None, typification_result={})]}

    def invalid_body(self):
        body = {"records": [decision(confidence_score=1.5)]}
        return body, {"records[0].confidence_score": ["Ensure this value is less than or equal to 1."]}

    def stored(self):
        return RoutingDecision.objects.count()
