"""The OpenAPI document tells the truth: Schemathesis drives every operation of a real server and checks each answer.

Checks: no server error, the status is documented, the content type is documented, and the body matches the
documented schema. Bounded (a few examples per operation), against a real `interlock serve` with an admin key.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import API_KEY
from tests.processes import ServeProcess

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def contract_api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    proc = ServeProcess(
        {"REDIS_URL": redis_url, "API_KEY_SECRET": API_KEY}, log=Path(tmp_path_factory.mktemp("st")) / "serve.log"
    )
    try:
        yield proc.wait_ready()
    finally:
        proc.stop()


@pytest.mark.timeout(300)
def test_every_operation_answers_as_documented(contract_api: ServeProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{contract_api.url}/openapi.json")
    tested: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation raises here, failing the test

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers={"X-API-Key": API_KEY}, checks=CHECKS, timeout=30)

        answers_as_documented()
        tested.append(operation.label)
    assert len(tested) > 20, tested
