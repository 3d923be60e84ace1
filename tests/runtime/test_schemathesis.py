"""Property-based API testing with Schemathesis against the portal's own OpenAPI document: every operation, with
generated valid and invalid requests, under Schemathesis' checks (no 5xx, status codes, headers and responses as
documented, invalid data refused, ...). Bounded: a few dozen examples per operation.

One check is left out: ``positive_data_acceptance`` (every schema-valid request must be accepted). Some rules
cannot be written in JSON Schema — a metric's ``created_at`` at most an hour in the future, a search query that
holds at least one word — and the API rightly refuses those with a 400 naming the field."""

import io

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
EXAMPLES = 25


def test_api__every_operation_conforms_to_the_openapi_document(api_key_factory):
    from django.core.management import call_command

    from hive_portal.wsgi import application

    call_command("load_demo", stdout=io.StringIO())
    _, raw = api_key_factory("config:read", "metrics:write", "knowledge:search", "typification:read")
    headers = {"Authorization": f"Bearer {raw}"}
    api = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures: dict[str, str] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        # derandomize: the same examples on every run, so CI cannot fail on a case nobody saw locally.
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every operation is tried; all failures are reported together
            failures[operation.label] = str(exc)[:3000]
    assert operations >= 10
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
