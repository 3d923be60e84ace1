"""Ingestion services: stored with COPY on PostgreSQL, all or nothing, the same values as before."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision
from monitoring.services import agent_metrics_ingest, routing_decisions_ingest

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)


def test_unvalidated_records__model_rules_applied_and_values_converted():
    agent_metrics_ingest(records=[{"agent_id": "a", "response_time_ms": "15", "created_at": WHEN}])
    stored = AgentMetric.objects.get()
    assert (stored.response_time_ms, stored.tokens_used, stored.success, stored.created_at) == (15, 0, True, WHEN)
    with pytest.raises(ValidationError):
        agent_metrics_ingest(records=[{"agent_id": "a" * 300, "response_time_ms": 1, "created_at": WHEN}])
    assert AgentMetric.objects.count() == 1


def test_validated_records__a_row_the_database_refuses_rolls_the_whole_batch_back():
    good = {"agent_id": "a", "session_id": "", "response_time_ms": 1, "tokens_used": 0, "success": True,
            "error_message": "", "config_version": None, "created_at": WHEN}  # fmt: skip
    with pytest.raises(IntegrityError):
        agent_metrics_ingest(records=[good, {**good, "response_time_ms": -1}], idempotency_key="k-1", validated=True)
    assert AgentMetric.objects.count() == 0 and not IngestionBatch.objects.exists()


def test_routing_decisions__json_stored_as_json():
    routing_decisions_ingest(
        records=[
            {
                "session_id": "s",
                "query": "pix",
                "routed_to": "pix",
                "confidence_score": 0.5,
                "typification_result": {"path": ["PagBank", "Pix"], "ação": "ç"},
                "config_version": 2,
                "created_at": WHEN,
            }
        ],  # fmt: skip
        validated=True,
    )
    stored = RoutingDecision.objects.get()
    assert stored.typification_result == {"path": ["PagBank", "Pix"], "ação": "ç"}
    assert RoutingDecision.objects.filter(typification_result__path__0="PagBank").count() == 1
