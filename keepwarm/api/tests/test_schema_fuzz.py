"""Schemathesis fuzzes every API v1 operation from its own OpenAPI schema.

With a valid token, generated requests (valid and invalid) must never get a server error,
and every answer must match what the schema promises: a documented status code, the
declared content type and a body of the declared shape. Examples per operation are kept
small (FUZZ_EXAMPLES) so the suite stays quick; raise it locally to dig deeper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from keepwarm.accounts.models import ApiToken
from keepwarm.care.models import CarePlan, Kind, PlanStep
from keepwarm.care.services import lay_out_care_plan

FUZZ_EXAMPLES = int(os.environ.get("KEEPWARM_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: Any, headers: dict[str, str], mode: GenerationMode) -> str | None:
    """The first failure schemathesis finds for `operation`, in words, or None."""

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Exception as exc:  # the failure report names the request that caused it
        return f"{operation.method.upper()} {operation.path} ({mode}): {exc}"
    return None


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The WSGI app closes the database connection after each request; in a test that
    would close the test's transaction, so (as Django's test client does) it doesn't."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(cast: Any) -> None:
    """Something for reads and writes to find: the cast's placement laid out with a plan."""
    plan = CarePlan.objects.create(name="Fuzz plan")
    PlanStep.objects.create(plan=plan, order=1, title="Call", kind=Kind.CALL, offset_days=-2)
    lay_out_care_plan(placement=cast.placement, plan=plan)


def test_every_api_operation_survives_fuzzing_and_keeps_to_its_schema(
    cast: Any, fuzz_data: None, keep_test_connection: None
) -> None:
    from keepwarm.wsgi import application

    _, token = ApiToken.issue(user=cast.admin, name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = _operations(schema)
    assert len(operations) >= 20, "the schema lists the API's operations"

    # Requests that fit the schema, then requests that break it (which must get a 4xx
    # the schema documents, never a 500).
    failures = [
        failure
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for op in operations
        if (failure := _fuzz(op, headers, mode)) is not None
    ]

    assert not failures, "\n\n".join(failures)


def test_a_date_time_filter_far_out_of_range_is_a_422_naming_it(cast: Any) -> None:
    from django.test import Client

    _, token = ApiToken.issue(user=cast.admin, name="fuzz")
    response = Client().get(
        "/api/v1/responses",
        {"submitted_after": "0823-04-06T18:30:25+23:35"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "submitted_after"


def test_every_operation_documents_its_error_answers(db: None) -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert "400" in codes, (method, path)
