from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_smoke]


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_metrics", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aged_rows():
    now = timezone.now()
    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id="a", response_time_ms=i, created_at=now - timedelta(days=days))
        for i, days in enumerate([1, 10, 89, 91, 91, 120, 400])
    )
    RoutingDecision.objects.bulk_create(
        RoutingDecision(session_id="s", query="q", routed_to="a", created_at=now - timedelta(days=days))
        for days in [5, 95, 100]
    )
    batches = [
        IngestionBatch.objects.create(kind="metrics", idempotency_key=f"k{d}", request_hash="0" * 64, record_count=1)
        for d in (1, 200)
    ]
    IngestionBatch.objects.filter(pk=batches[1].pk).update(created_at=now - timedelta(days=200))


def test_prune__deletes_older_than_and_reports_counts(aged_rows):
    output = prune("--older-than", "90d")

    assert "4 agent metrics, 2 routing decisions, 1 ingestion batch." in output
    assert sorted(AgentMetric.objects.values_list("response_time_ms", flat=True)) == [0, 1, 2]
    assert RoutingDecision.objects.count() == 1
    assert list(IngestionBatch.objects.values_list("idempotency_key", flat=True)) == ["k1"]
    assert "0 agent metrics, 0 routing decisions, 0 ingestion batches" in prune("--older-than", "90d")


def test_prune__in_batches(aged_rows):
    with CaptureQueriesContext(connection) as queries:
        output = prune("--older-than", "90d", "--batch-size", "2")
    assert "4 agent metrics" in output
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "agent_metrics"')]
    assert len(deletes) == 2  # 4 rows, 2 at a time


def test_prune__dry_run_deletes_nothing(aged_rows):
    output = prune("--older-than", "90d", "--dry-run")
    assert "Would delete" in output and "4 agent metrics" in output
    assert AgentMetric.objects.count() == 7


def test_prune__weeks_and_hours(aged_rows):
    assert "5 agent metrics" in prune("--older-than", "2w")  # the 1- and 10-day-old rows stay
    assert AgentMetric.objects.count() == 2
    assert "1 agent metric," in prune("--older-than", "36h")
    assert AgentMetric.objects.count() == 1


@pytest.mark.parametrize("age", ["90", "90x", "-5d", "0d", "d", ""])
def test_prune__bad_age__error(aged_rows, age):
    with pytest.raises(CommandError, match="give an age such as 90d"):
        prune(f"--older-than={age}")
    assert AgentMetric.objects.count() == 7


def test_prune__in_portuguese(aged_rows):
    out = StringIO()
    call_command("prune_metrics", "--older-than", "90d", "--dry-run", language="pt-br", stdout=out)
    assert "Seriam excluídos, criados antes de" in out.getvalue()
    assert "4 métricas de agentes, 2 decisões de roteamento, 1 lote de ingestão." in out.getvalue()
    assert "Excluídos, criados antes de" in prune_in_portuguese("--older-than", "90d")
    with pytest.raises(CommandError, match="--older-than: informe uma idade como 90d, 12h ou 2w, não '90x'"):
        prune_in_portuguese("--older-than", "90x")


def prune_in_portuguese(*args) -> str:
    out = StringIO()
    call_command("prune_metrics", *args, "--language", "pt-br", stdout=out)
    return out.getvalue()
