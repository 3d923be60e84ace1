import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from hive_portal.testing import error_of, key_client
from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision

METRICS = "/api/v1/metrics"
DECISIONS = "/api/v1/routing-decisions"

pytestmark = pytest.mark.django_db


def metric(**overrides):
    record = {
        "agent_id": "pix-specialist",
        "session_id": "s-1",
        "response_time_ms": 1200,
        "tokens_used": 800,
        "success": True,
        "config_version": 3,
        "created_at": "2026-11-20T14:03:11Z",
    }
    record.update(overrides)
    return record


def decision(**overrides):
    record = {
        "session_id": "s-1",
        "query": "meu pix não caiu",
        "routed_to": "pix-specialist",
        "confidence_score": 0.91,
        "typification_result": {"business_unit": "PagBank", "path": ["PagBank", "Pix"]},
        "config_version": 7,
        "created_at": "2026-11-20T14:03:10Z",
    }
    record.update(overrides)
    return record


@pytest.fixture
def writer(api_key_factory):
    _, raw = api_key_factory("metrics:write", name="runtime-prod")
    return key_client(raw)


@pytest.mark.sqlite_smoke
def test_metrics__batch_stored_with_every_field(writer):
    response = writer.post(
        METRICS,
        {"records": [metric(), metric(success=False, error_message="timeout", response_time_ms=30000)]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 2, "stored": 2, "replayed": False, "idempotency_key": None}
    stored = AgentMetric.objects.order_by("response_time_ms")
    assert [(m.agent_id, m.response_time_ms, m.tokens_used, m.success, m.config_version) for m in stored] == [
        ("pix-specialist", 1200, 800, True, 3),
        ("pix-specialist", 30000, 800, False, 3),
    ]
    assert stored[1].error_message == "timeout"
    assert stored[0].created_at == datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)


@pytest.mark.sqlite_smoke
def test_metrics__defaults__now_success_no_version(writer):
    before = timezone.now()
    response = writer.post(METRICS, {"records": [{"agent_id": "a", "response_time_ms": 5}]}, format="json")
    assert response.status_code == 201
    row = AgentMetric.objects.get()
    assert (row.tokens_used, row.success, row.config_version, row.session_id) == (0, True, None, "")
    assert before <= row.created_at <= timezone.now()


@pytest.mark.sqlite_smoke
def test_metrics__one_bad_record__whole_batch_refused_with_each_place_named(writer):
    records = [metric(), metric(response_time_ms=-1), metric(), metric(agent_id="", config_version=0, response_ms=3)]
    response = writer.post(METRICS, {"records": records}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    # An unknown key is reported before the record's other fields are looked at.
    assert error["fields"] == {
        "records[1].response_time_ms": ["Ensure this value is greater than or equal to 0."],
        "records[3].response_ms": ["Unknown field."],
    }
    assert error["message"].startswith("records[1].response_time_ms:")
    assert AgentMetric.objects.count() == 0


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("record", "field"),
    [
        (metric(agent_id=""), "records[0].agent_id"),
        (metric(agent_id="x" * 256), "records[0].agent_id"),
        (metric(response_time_ms="fast"), "records[0].response_time_ms"),
        (metric(response_time_ms=None), "records[0].response_time_ms"),
        (metric(tokens_used=-5), "records[0].tokens_used"),
        (metric(tokens_used=2**31), "records[0].tokens_used"),
        (metric(config_version=0), "records[0].config_version"),
        (metric(success="maybe"), "records[0].success"),
        (metric(created_at="yesterday"), "records[0].created_at"),
        (metric(created_at=(timezone.now() + timedelta(days=2)).isoformat()), "records[0].created_at"),
        (metric(response_ms=3), "records[0].response_ms"),
    ],
)
def test_metrics__invalid_record__named_field(writer, record, field):
    response = writer.post(METRICS, {"records": [record]}, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert list(error["fields"]) == [field], error
    assert error["message"].startswith(f"{field}: "), error
    assert AgentMetric.objects.count() == 0


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("body", "fields", "message"),
    [
        ({"records": []}, {"records": ["This list may not be empty."]}, "records: This list may not be empty."),
        ({}, {"records": ["This field is required."]}, "records: This field is required."),
        ({"records": None}, {"records": ["This field may not be null."]}, "records: This field may not be null."),
        (
            {"records": "x"},
            {"records": ['Expected a list of items but got type "str".']},
            'records: Expected a list of items but got type "str".',
        ),
        (
            {"records": [1]},
            {"records[0]": ["Invalid data. Expected a dictionary, but got int."]},
            "records[0]: Invalid data. Expected a dictionary, but got int.",
        ),
        # An error about the body as a whole names no field: it is the message, and ``fields`` is empty.
        ([metric()], {}, "Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_metrics__bad_envelope__400(writer, body, fields, message):
    response = writer.post(METRICS, body, format="json")
    assert response.status_code == 400
    assert error_of(response) == {"code": "invalid", "message": message, "fields": fields}
    assert AgentMetric.objects.count() == 0


@pytest.mark.sqlite_smoke
def test_metrics__not_json__400_in_shared_shape(writer):
    response = writer.generic("POST", METRICS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.sqlite_smoke
def test_metrics__batch_limit_is_1000(writer):
    response = writer.post(METRICS, {"records": [metric()] * 1001}, format="json")
    assert response.status_code == 400
    assert "1000" in error_of(response)["message"]
    assert AgentMetric.objects.count() == 0

    response = writer.post(METRICS, {"records": [metric(session_id=f"s-{i}") for i in range(1000)]}, format="json")
    assert response.status_code == 201
    assert AgentMetric.objects.count() == 1000


@pytest.mark.sqlite_smoke
def test_metrics__retry_with_same_idempotency_key__stored_once(writer):
    body = {"records": [metric(), metric(session_id="s-2")]}
    first = writer.post(METRICS, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-42")
    retry = writer.post(METRICS, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-42")

    assert first.status_code == 201 and first.json()["stored"] == 2
    assert retry.status_code == 200
    assert retry.json() == {"accepted": 2, "stored": 0, "replayed": True, "idempotency_key": "batch-42"}
    assert retry["Idempotent-Replayed"] == "true"
    assert AgentMetric.objects.count() == 2
    batch = IngestionBatch.objects.get()
    assert (batch.kind, batch.record_count, batch.api_key_name) == ("metrics", 2, "api-key:runtime-prod")


@pytest.mark.sqlite_smoke
def test_metrics__same_key_different_records__409_nothing_stored(writer):
    writer.post(METRICS, {"records": [metric()]}, format="json", HTTP_IDEMPOTENCY_KEY="batch-42")
    response = writer.post(
        METRICS, {"records": [metric(response_time_ms=1)]}, format="json", HTTP_IDEMPOTENCY_KEY="batch-42"
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert AgentMetric.objects.count() == 1


@pytest.mark.sqlite_smoke
def test_metrics__failed_batch_does_not_burn_its_key(writer):
    bad = writer.post(METRICS, {"records": [metric(response_time_ms=-1)]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    good = writer.post(METRICS, {"records": [metric()]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (bad.status_code, good.status_code) == (400, 201)
    assert AgentMetric.objects.count() == 1


@pytest.mark.sqlite_smoke
def test_metrics__same_key_on_the_other_endpoint_is_independent(writer):
    a = writer.post(METRICS, {"records": [metric()]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    b = writer.post(DECISIONS, {"records": [decision()]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (a.status_code, b.status_code) == (201, 201)


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ção"])
def test_metrics__malformed_idempotency_key__400(writer, key):
    response = writer.post(METRICS, {"records": [metric()]}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]


@pytest.mark.sqlite_smoke
def test_ingest__scope_required(api_key_factory):
    _, raw = api_key_factory("config:read")
    client = key_client(raw)
    for url, record in ((METRICS, metric()), (DECISIONS, decision())):
        response = client.post(url, {"records": [record]}, format="json")
        assert response.status_code == 403
        assert "metrics:write" in error_of(response)["message"]
    assert AgentMetric.objects.count() == 0 and RoutingDecision.objects.count() == 0


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("client", "code", "message"),
    [
        (lambda: APIClient(), "not_authenticated", "Authentication credentials were not provided."),
        (lambda: key_client("hive_nope"), "authentication_failed", "Invalid API key."),
    ],
    ids=["no-key", "unknown-key"],
)
@pytest.mark.parametrize("url", [METRICS, DECISIONS])
def test_ingest__without_a_valid_key__401_with_a_challenge(url, client, code, message):
    record = metric() if url == METRICS else decision()
    response = client().post(url, {"records": [record]}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="hive"'
    assert error_of(response) == {"code": code, "message": message, "fields": {}}
    assert AgentMetric.objects.count() == 0 and RoutingDecision.objects.count() == 0


@pytest.mark.sqlite_smoke
def test_routing_decisions__batch_stored(writer):
    response = writer.post(
        DECISIONS, {"records": [decision(), decision(confidence_score=None, typification_result={})]}, format="json"
    )
    assert response.status_code == 201, response.content
    rows = RoutingDecision.objects.order_by("id")
    assert [(r.routed_to, r.confidence_score, r.config_version) for r in rows] == [
        ("pix-specialist", 0.91, 7),
        ("pix-specialist", None, 7),
    ]
    assert rows[0].typification_result == {"business_unit": "PagBank", "path": ["PagBank", "Pix"]}


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("record", "field"),
    [
        (decision(confidence_score=1.5), "records[0].confidence_score"),
        (decision(confidence_score=-0.1), "records[0].confidence_score"),
        (decision(routed_to=""), "records[0].routed_to"),
        (decision(query="   "), "records[0].query"),
        (decision(session_id=None), "records[0].session_id"),
        (decision(typification_result=["PagBank"]), "records[0].typification_result"),
        (decision(typification_result={"path": []}), "records[0].typification_result"),
        (decision(typification_result={"path": ["a"] * 6}), "records[0].typification_result"),
        (decision(typification_result={"business_unit": 3}), "records[0].typification_result"),
    ],
)
def test_routing_decisions__invalid__named(writer, record, field):
    response = writer.post(DECISIONS, {"records": [decision(), record]}, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert list(error["fields"]) == [field.replace("[0]", "[1]")], error
    assert RoutingDecision.objects.count() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_metrics__concurrent_retries_with_same_key__stored_once(api_key_factory):
    _, raw = api_key_factory("metrics:write")
    body = {"records": [metric(session_id=f"s-{i}") for i in range(200)]}
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def send():
        try:
            barrier.wait()
            response = key_client(raw).post(METRICS, body, format="json", HTTP_IDEMPOTENCY_KEY="concurrent-1")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 200, 201]
    assert AgentMetric.objects.count() == 200
    assert IngestionBatch.objects.count() == 1


# --- Hostile bodies: refused with 400 naming the field, nothing stored --------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", [METRICS, DECISIONS])
def test_ingest__deeply_nested_body__400_not_recursion_error(writer, path):
    response = writer.generic("POST", path, '{"records": ' + _nested(100_000) + "}", content_type="application/json")
    assert response.status_code == 400, response.content
    assert error_of(response) == {
        "code": "parse_error",
        "message": "JSON parse error - the body is nested too deeply.",
        "fields": {},
    }
    assert AgentMetric.objects.count() == 0 and RoutingDecision.objects.count() == 0


def test_routing_decisions__typification_result_nested_too_deep__400_naming_the_field(writer):
    import json

    body = '{"records": [' + json.dumps(decision())[:-1] + ', "typification_result": {"x": ' + _nested(40) + "}}]}"
    body = body.replace('"typification_result": {"business_unit": "PagBank", "path": ["PagBank", "Pix"]}, ', "")
    response = writer.generic("POST", DECISIONS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    fields = error_of(response)["fields"]
    assert any(name.startswith("records[0].typification_result.x") for name in fields), fields
    assert "32 levels" in error_of(response)["message"]
    assert RoutingDecision.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ('{"note": "a\\u0000b"}', "records[0].typification_result.note", "NUL"),
        ('{"note": "\\ud800"}', "records[0].typification_result.note", "surrogate"),
        ('{"n\\u0000te": "x"}', "records[0].typification_result.n\x00te", "NUL"),
        ('{"path": ["PagBank", "\\udfff"]}', "records[0].typification_result.path[1]", "surrogate"),
    ],
)
def test_routing_decisions__nul_or_lone_surrogate_in_json__400_naming_the_field(writer, bad, field, words):
    import json

    record = decision()
    del record["typification_result"]
    body = '{"records": [' + json.dumps(record)[:-1] + ', "typification_result": ' + bad + "}]}"
    response = writer.generic("POST", DECISIONS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"], error
    assert words in error["message"]
    assert RoutingDecision.objects.count() == 0


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\udc00"'])
def test_routing_decisions__nul_or_surrogate_in_query__400_naming_the_field(writer, text):
    import json

    record = decision()
    del record["query"]
    body = '{"records": [' + json.dumps(record)[:-1] + ', "query": ' + text + "}]}"
    response = writer.generic("POST", DECISIONS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "records[0].query" in error_of(response)["fields"]
    assert RoutingDecision.objects.count() == 0


def test_ingest__emoji_escaped_as_a_surrogate_pair__accepted(writer):
    import json

    record = decision()
    del record["query"]
    body = '{"records": [' + json.dumps(record)[:-1] + ', "query": "pix \\ud83d\\ude00 n\\u00e3o caiu"}]}'
    response = writer.generic("POST", DECISIONS, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert RoutingDecision.objects.get().query == "pix 😀 não caiu"


def test_ingest__form_encoded_body__415(writer):
    response = writer.post(METRICS, {"records": "x"})  # multipart, as a browser form would send
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
