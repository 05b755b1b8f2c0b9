"""Idempotency-Key on create: same key and body → same interrupt; different body → 422; scoped per API key."""

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import AGENT_KEY, API_KEY

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

Client = AsyncTestClient[Any]


def body(user_id: str, action: str = "pay") -> dict[str, Any]:
    return {"agentId": "a", "userId": user_id, "action": action, "context": {"n": 1}}


async def test_same_key_same_body_replays_the_same_interrupt(client: Client, user_id: str) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/interrupts", json=body(user_id), headers=headers)
    second = await client.post("/interrupts", json=body(user_id), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len((await client.get(f"/interrupts/pending/{user_id}")).json()) == 1
    assert (await client.get(f"/analytics/{user_id}")).json()["totalInterrupts"] == 1


async def test_same_key_different_body_is_422(client: Client, user_id: str) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    await client.post("/interrupts", json=body(user_id), headers=headers)
    response = await client.post("/interrupts", json=body(user_id, action="other"), headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]


async def test_keys_are_scoped_per_key_label(auth_client: Client, user_id: str) -> None:
    idem = {"Idempotency-Key": str(uuid.uuid4())}
    first = await auth_client.post("/interrupts", json=body(user_id), headers=idem | {"X-API-Key": API_KEY})
    rotated = await auth_client.post("/interrupts", json=body(user_id), headers=idem | {"X-API-Key": "second-key"})
    other = await auth_client.post("/interrupts", json=body(user_id), headers=idem | {"X-API-Key": AGENT_KEY})
    assert first.json()["interruptId"] == rotated.json()["interruptId"]  # both keys are labelled "admin"
    assert first.json()["interruptId"] != other.json()["interruptId"]


async def test_without_key_each_create_is_new(client: Client, user_id: str) -> None:
    first = await client.post("/interrupts", json=body(user_id))
    second = await client.post("/interrupts", json=body(user_id))
    assert first.json()["interruptId"] != second.json()["interruptId"]


async def test_overlong_key_is_400(client: Client, user_id: str) -> None:
    response = await client.post("/interrupts", json=body(user_id), headers={"Idempotency-Key": "k" * 300})
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
