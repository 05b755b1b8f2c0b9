"""A Redis that answers but refuses writes (out of memory, a read-only replica) → 503 + Retry-After, nothing written."""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError

from service.app import create_app
from service.embedded import EmbeddedRedis
from service.store.errors import refusal
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.conftest import settings_for

BODY = {"agentId": "a", "userId": "u-refused", "action": "x", "context": {}}
LOOP = {"loop_name": "n", "loop_description": "d", "participants": ["a@example.com"], "participant_timeout": 60_000}
Client = AsyncTestClient[Any]


def test_refusals_are_told_apart_from_other_errors() -> None:
    assert refusal(OutOfMemoryError("command not allowed when used memory > 'maxmemory'")) == (
        "the state store is out of memory"
    )
    assert refusal(ReadOnlyError("You can't write against a read only replica.")) is not None
    assert refusal(ResponseError("MISCONF Errors writing to the AOF file")) == "the state store cannot save to disk"
    assert refusal(ResponseError("NOREPLICAS Not enough good replicas to write.")) is not None
    assert refusal(ResponseError("ERR wrong number of arguments")) is None  # a bug stays a 500


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EmbeddedRedis]:
    """A Redis of this test's own, so that it can be filled up or demoted."""
    started = EmbeddedRedis(tmp_path / "redis").start()
    try:
        yield started
    finally:
        started.stop()


def assert_unavailable(response: Any, reason: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert reason in response.text, response.text


@pytest.mark.timeout(60)
async def test_a_full_redis_gives_503_and_writes_nothing_then_recovers(server: EmbeddedRedis) -> None:
    async with (
        blocking_client(server.url, decode=False) as admin,
        local_client(create_app(settings_for(server.url))) as client,
    ):
        first = (await client.post("/interrupts", json=BODY)).json()["interruptId"]
        await admin.config_set("maxmemory", 1)  # with noeviction: every write is refused
        try:
            assert_unavailable(await client.post("/interrupts", json=BODY), "out of memory")
            assert_unavailable(
                await client.post(f"/interrupts/{first}/decide", json={"decision": "approved"}), "memory"
            )
            loop = await client.post("/v1/loop/create", json=LOOP)
            assert loop.status_code == 503 and loop.headers["retry-after"] == "1", loop.text
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and "refuses writes" in ready.json()["problems"][0]
            assert (await client.get(f"/interrupts/{first}")).json()["status"] == "pending"  # reads still work
            pending = (await client.get("/interrupts/pending/u-refused")).json()
            assert [item["interruptId"] for item in pending] == [first]  # the refused create left nothing
        finally:
            await admin.config_set("maxmemory", 0)
        assert (await client.post("/interrupts", json=BODY)).status_code == 201
        assert (await client.get("/readyz")).status_code == 200


@pytest.mark.timeout(60)
async def test_a_read_only_replica_gives_503_naming_it(server: EmbeddedRedis, tmp_path: Path) -> None:
    replica = EmbeddedRedis(tmp_path / "replica").start()
    try:
        async with blocking_client(replica.url) as admin:
            await admin.config_set("masterauth", server.password or "")  # the primary requires its password
            await admin.replicaof("127.0.0.1", server.port)
            deadline = time.monotonic() + 30
            while (await admin.info("replication")).get("master_link_status") != "up":  # sync poll with a deadline
                assert time.monotonic() < deadline, "the replica did not sync"
                await admin.ping()
            client: Client
            async with local_client(create_app(settings_for(replica.url))) as client:
                assert_unavailable(await client.post("/interrupts", json=BODY), "read-only replica")
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and "read-only replica" in ready.json()["problems"][0]
    finally:
        replica.stop()
