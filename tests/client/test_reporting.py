"""Reporting hooks: bounded queue that drops rather than blocks, batches with an Idempotency-Key."""

from __future__ import annotations

import threading

import httpx
import pytest

from hive_portal_client.reporting import Reporter

pytestmark = pytest.mark.django_db(transaction=True)


def _metric(i: int = 0) -> dict:
    return {"agent_id": "cards-specialist", "response_time_ms": 100 + i, "tokens_used": 10, "config_version": 2}


def test_full_queue__records_are_dropped_and_counted_never_waited_for(runtime_key):
    entered, release = threading.Event(), threading.Event()

    def slow_portal(request):
        entered.set()
        release.wait()
        return httpx.Response(202, json={})

    http = httpx.Client(base_url="http://portal.test", transport=httpx.MockTransport(slow_portal))
    reporter = Reporter(http, max_queue=2, batch_size=1)
    assert reporter.record("metric", _metric()) is True
    assert entered.wait(5)  # the sender holds the first record, waiting on the portal
    results = [reporter.record("metric", _metric(i)) for i in range(4)]
    assert results == [True, True, False, False] and reporter.dropped == 2
    release.set()
    assert reporter.flush() and reporter.sent == 3


def test_retry_after_a_lost_answer__stored_once_with_the_same_idempotency_key(transport, runtime_key):
    from monitoring.models import AgentMetric

    keys = []

    class LosesFirstAnswer(httpx.BaseTransport):
        def handle_request(self, request):
            keys.append(request.headers["Idempotency-Key"])
            response = transport.handle_request(request)  # the portal stores the batch …
            return httpx.Response(503) if len(keys) == 1 else response  # … but the answer is lost

    http = httpx.Client(base_url="http://portal.test", transport=LosesFirstAnswer(), headers={"X-API-Key": runtime_key})
    reporter = Reporter(http, batch_size=10)
    for i in range(3):
        reporter.record("metric", _metric(i))
    assert reporter.flush()
    assert keys[0] == keys[1] and len(set(keys)) == len(keys) - 1  # only the lost answer was retried
    assert AgentMetric.objects.filter(agent_id="cards-specialist").count() == 3 and reporter.sent == 3
