"""The metric tables are partitioned by month: months ahead exist, a record outside them is kept in the default
partition and moved when its month is made, and retention drops whole months."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from monitoring.models import AgentMetric, RoutingDecision
from monitoring.partitions import ensure_partitions, is_partitioned, month_partitions, month_start, next_month
from monitoring.services import metrics_prune

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

UTC = dt.UTC


def _metric(at: dt.datetime, agent_id: str = "cards") -> AgentMetric:
    return AgentMetric.objects.create(agent_id=agent_id, response_time_ms=100, created_at=at)


def _partition_of(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM agent_metrics WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_tables__partitioned_with_this_month_and_three_ahead():
    now = dt.datetime.now(UTC)
    for table in ("agent_metrics", "routing_decisions"):
        assert is_partitioned(table)
        months = month_partitions(table)
        start = month_start(now)
        for _ in range(4):
            assert start in months, (table, start)
            start = next_month(start)


def test_a_record_outside_every_month__kept__and_moved_when_its_month_is_made():
    far = dt.datetime(2031, 5, 17, 12, tzinfo=UTC)
    metric = _metric(far)
    assert _partition_of(metric.pk) == "agent_metrics_default"
    created = ensure_partitions(now=dt.datetime(2026, 11, 30, tzinfo=UTC))
    assert "agent_metrics_p203105" in created
    assert _partition_of(metric.pk) == "agent_metrics_p203105"
    assert AgentMetric.objects.get(pk=metric.pk).created_at == far  # the row, its id and its values, unchanged


def test_ensure_partitions__idempotent():
    ensure_partitions()
    assert ensure_partitions() == []


def test_prune__drops_whole_months_and_deletes_the_rest_before_the_cut():
    now = dt.datetime.now(UTC)
    old_month = month_start(now - dt.timedelta(days=200))
    old = [_metric(old_month + dt.timedelta(days=3, hours=h)) for h in range(5)]  # default partition first
    ensure_partitions(now=now)  # makes the old month and moves them there
    assert {_partition_of(m.pk) for m in old} == {f"agent_metrics_p{old_month:%Y%m}"}
    cut = month_start(now) + dt.timedelta(days=2)
    early_this_month = _metric(month_start(now) + dt.timedelta(hours=1))
    kept = _metric(cut + dt.timedelta(hours=1))
    RoutingDecision.objects.create(session_id="s", query="q", routed_to="cards", created_at=old_month)

    result = metrics_prune(before=cut)
    assert result.agent_metrics == 6 and result.routing_decisions == 1
    assert old_month not in month_partitions("agent_metrics")  # dropped, not emptied row by row
    assert month_start(now) in month_partitions("agent_metrics")  # the month of the cut stays, its rows pruned
    assert list(AgentMetric.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AgentMetric.objects.filter(pk=early_this_month.pk).exists()


def test_ids__still_one_sequence_across_partitions():
    a = _metric(dt.datetime.now(UTC))
    b = _metric(dt.datetime(2031, 1, 1, tzinfo=UTC))
    assert b.pk == a.pk + 1
