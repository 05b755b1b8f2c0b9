"""The OpenAPI document tells the truth: Schemathesis drives every operation of a real server and checks each answer.

Checks: no server error, the status is documented, the content type is documented, and the body matches the
documented schema. Bounded (a few examples per operation), against a real `interlock serve` with an admin key.
"""

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
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


@pytest.mark.timeout(180)
def test_a_generated_client_reads_refusals_as_typed_problems(contract_api: ServeProcess, tmp_path: Path) -> None:
    """openapi-python-client builds a client from the document without warnings; 404 and 409 come back typed."""
    (tmp_path / "openapi.json").write_bytes(httpx.get(f"{contract_api.url}/openapi.json", timeout=10).content)
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json", "--meta", "none",
         "--output-path", "interlock_generated"],
        cwd=tmp_path, capture_output=True, text=True, timeout=150, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        client_mod = importlib.import_module("interlock_generated.client")
        decide = importlib.import_module("interlock_generated.api.interrupts.interrupts_interrupt_id_decide_decide")
        models = importlib.import_module("interlock_generated.models")
        body = models.DecideRequest(decision=models.DecideRequestDecision.APPROVED)
        made = httpx.post(f"{contract_api.url}/interrupts", headers={"X-API-Key": API_KEY},
                          json={"agentId": "a", "userId": "gen", "action": "x", "context": {}}).json()  # fmt: skip
        with client_mod.Client(base_url=contract_api.url, headers={"X-API-Key": API_KEY}) as client:
            unknown = decide.sync_detailed(str(uuid.uuid4()), client=client, body=body)
            first = decide.sync_detailed(made["interruptId"], client=client, body=body)
            again = decide.sync_detailed(made["interruptId"], client=client, body=body)
        assert unknown.status_code == 404 and isinstance(unknown.parsed, models.Problem)
        assert unknown.parsed.error == "Interrupt not found"
        assert first.status_code == 200 and isinstance(first.parsed, models.DecidedResponse)
        assert again.status_code == 409 and isinstance(again.parsed, models.Problem)
        assert again.parsed.error == "Interrupt is already approved"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("interlock_generated")]:
            del sys.modules[name]
