"""The metrics batch's fast path gives exactly what DRF's validation gives, or steps aside for it."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from monitoring.api.serializers import AgentMetricBatchSerializer, AgentMetricRecordSerializer

BASE = {
    "agent_id": "pix-specialist",
    "session_id": "s-1",
    "response_time_ms": 1200,
    "tokens_used": 800,
    "success": True,
    "error_message": "",
    "config_version": 3,
    "created_at": "2026-11-20T14:03:11Z",
}
VARIANTS = {
    "agent_id": ["  padded  ", "", "   ", "x" * 255, "x" * 256, 7, None, "ação", "a\x00b", "\ud800", ["x"]],
    "session_id": ["", "  s ", "s" * 256, 3, None],
    "response_time_ms": [0, -1, 2**31 - 1, 2**31, "5", 5.0, 5.5, True, None],
    "tokens_used": [0, -3, "7", False],
    "success": [False, "true", 1, 0, None, "maybe"],
    "error_message": ["  kept as sent  ", "e" * 10_000, "e" * 10_001, 5],
    "config_version": [None, 0, 1, "2", 2**31],
    "created_at": [
        "2026-11-20T14:03:11+03:00",
        "2026-11-20T14:03:11",
        "2026-11-20 14:03:11Z",
        "2026-13-45T00:00:00Z",
        "yesterday",
        (timezone.now() + timedelta(days=2)).isoformat(),
        (timezone.now() + timedelta(minutes=30)).isoformat(),
        1700000000,
    ],
}


def _cases():
    yield dict(BASE)
    for field in BASE:
        without = dict(BASE)
        del without[field]
        yield without
    for field, values in VARIANTS.items():
        for value in values:
            yield {**BASE, field: value}
    yield {**BASE, "response_ms": 3}
    for a, b in itertools.islice(itertools.combinations(VARIANTS["agent_id"][:4] + VARIANTS["success"][:3], 2), 20):
        yield {**BASE, "agent_id": a, "success": b} if isinstance(a, str) else {**BASE, "success": b}
    yield ["not", "a", "record"]


def _drf(record):
    serializer = AgentMetricRecordSerializer(data=record)
    return serializer.validated_data if serializer.is_valid() else None


@pytest.mark.parametrize("record", list(_cases()))
def test_fast_path__accepts_only_what_drf_accepts_and_gives_the_same_data(record):
    fast = AgentMetricRecordSerializer().fast_validate(record)
    drf = _drf(record)
    if fast is None:
        return  # DRF decides (the list serializer falls back to it)
    assert drf is not None, record
    if "created_at" not in record:  # "now" on both sides, a moment apart
        assert abs(fast.pop("created_at") - drf.pop("created_at")) < timedelta(seconds=5)
    assert dict(fast) == dict(drf)


def test_canonical_records__take_the_fast_path():
    assert AgentMetricRecordSerializer().fast_validate(dict(BASE)) is not None
    assert AgentMetricRecordSerializer().fast_validate({"agent_id": "a", "response_time_ms": 1}) is not None


def test_batch__mixed_records__same_errors_as_drf_alone():
    records = [dict(BASE), {**BASE, "response_time_ms": -1}, {**BASE, "success": "true"}, {**BASE, "limt": 1}]
    batch = AgentMetricBatchSerializer(data={"records": records})
    assert not batch.is_valid()
    errors = batch.errors["records"]
    failing = {i: e for i, e in (errors.items() if isinstance(errors, dict) else enumerate(errors)) if e}
    assert set(failing) == {1, 3}
    assert "response_time_ms" in failing[1] and "limt" in failing[3]
    ok = AgentMetricBatchSerializer(data={"records": [dict(BASE), {**BASE, "success": "true"}]})
    assert ok.is_valid(), ok.errors
    assert [r["success"] for r in ok.validated_data["records"]] == [True, True]
    with pytest.raises(serializers.ValidationError):
        ok.__class__(data={"records": []}).is_valid(raise_exception=True)
