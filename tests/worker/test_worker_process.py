"""The worker as a real process: killed with SIGKILL mid-delivery, nothing is lost; `serve` runs one by itself."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.models import NewInterrupt
from service.store import keys
from service.store.deliveries import GROUP
from service.store.interrupts import InterruptStore
from tests.clients import blocking_client
from tests.processes import ROOT, ServeProcess
from tests.receivers import SECRET, Receiver

ENV = {"WEBHOOK_SECRET": SECRET, "INTERLOCK_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8"}


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "WEBHOOK_"))}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service", "worker"],
            cwd=ROOT,
            env=env | ENV | {"REDIS_URL": url},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def cancelled_with_callbacks(redis: Redis, callback: str, count: int) -> list[str]:
    """`count` interrupts cancelled at once, each with a webhook to `callback` waiting in the outbox."""
    store = InterruptStore(redis, SystemClock(), retention_ms=600_000)
    new = NewInterrupt(
        agent_id="a", user_id="worker-user", action="x", context="{}", urgency="low", expires_in_ms=600_000,
        callback_url=callback,
    )  # fmt: skip
    ids = [(await store.create(new)).id for _ in range(count)]
    await asyncio.gather(*(store.cancel(i) for i in ids))
    return ids


@pytest.mark.timeout(120)
async def test_kill_9_mid_delivery_loses_nothing(worker_url: str, receiver: Receiver, tmp_path: Path) -> None:
    receiver.delay_s = 0.05  # slow enough that deliveries are in flight when the worker dies
    redis = blocking_client(worker_url)
    ids = await cancelled_with_callbacks(redis, receiver.url("/kill"), 300)
    await redis.aclose()
    expected = {f"msg_{i}_2" for i in ids}

    first = start_worker(worker_url, tmp_path / "worker.log")
    try:
        await receiver.wait_until(lambda got: len(got.get("/kill", [])) >= 40)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    second = start_worker(worker_url, tmp_path / "worker.log")
    try:
        await receiver.wait_until(lambda got: {r.headers["webhook-id"] for r in got["/kill"]} >= expected)
    finally:
        second.terminate()
        second.wait(20)
    got = receiver.received["/kill"]
    assert {r.headers["webhook-id"] for r in got} == expected
    bodies: dict[str, bytes] = {}
    for request in got:  # a duplicate is the same event: same id, same body, valid signature
        assert request.verified is not None
        assert bodies.setdefault(request.headers["webhook-id"], request.body) == request.body
    assert second.returncode == 0


@pytest.mark.timeout(60)
async def test_serve_runs_a_worker_that_expires_and_delivers(
    worker_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    api = ServeProcess(ENV | {"REDIS_URL": worker_url}, args=(), log=tmp_path / "serve.log")
    try:
        api.wait_ready()
        import httpx

        async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
            body = {"agentId": "a", "userId": "serve-user", "action": "x", "context": {}, "expiresIn": 1}
            created = await http.post("/interrupts", json=body | {"callbackUrl": receiver.url("/serve")})
            interrupt_id = created.json()["interruptId"]
            [got] = await receiver.wait_for("/serve", 1)
        assert got.verified == {"interruptId": interrupt_id, "status": "expired"}
    finally:
        assert api.stop() == 0


@pytest.mark.timeout(60)
async def test_sigterm_finishes_the_deliveries_in_flight(worker_url: str, receiver: Receiver, tmp_path: Path) -> None:
    receiver.delay_s = 0.5  # every delivery is still in flight when the signal arrives
    redis = blocking_client(worker_url)
    ids = await cancelled_with_callbacks(redis, receiver.url("/term"), 20)
    worker = start_worker(worker_url, tmp_path / "worker.log")
    try:
        await receiver.wait_for("/term", 1)  # deliveries have started
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 20) == 0
        reached = {r.headers["webhook-id"] for r in receiver.received["/term"]}
        logged = {}
        for interrupt_id in ids:
            rows = await redis.lrange(keys.attempts(interrupt_id), 0, -1)
            logged.update({json.loads(row)["webhookId"]: json.loads(row)["state"] for row in rows})
        assert reached and all(logged.get(webhook_id) == "delivered" for webhook_id in reached)
        for partition in range(keys.PARTITIONS):
            pending = await redis.xpending(keys.outbox(partition), GROUP)
            assert pending["pending"] == 0  # nothing read was left unacknowledged for another worker to redo
    finally:
        worker.kill()
        await redis.aclose()
