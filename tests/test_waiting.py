"""Long-poll (`GET /interrupts/{id}?wait=N`) over real servers: pushed wake-ups, timeouts, lost pub/sub."""

import asyncio
import time
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from service.store import keys
from tests.clients import kill_pubsub_clients
from tests.processes import ServeProcess, until

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

BODY = {"agentId": "waiter", "userId": "wait-user", "action": "deploy", "context": {}}


async def create(http: httpx.AsyncClient, base: str, **extra: object) -> str:
    response = await http.post(f"{base}/interrupts", json=BODY | extra)
    interrupt_id: str = response.json()["interruptId"]
    return interrupt_id


@pytest.mark.timeout(60)
async def test_long_poll_wakes_on_a_decision_made_through_another_process(two_apis: list[ServeProcess]) -> None:
    async with httpx.AsyncClient(timeout=40) as http:
        interrupt_id = await create(http, two_apis[0].url)
        started = time.monotonic()
        waiting = asyncio.create_task(http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait=30"))
        decided = await http.post(f"{two_apis[1].url}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
        assert decided.status_code == 200
        answer = await waiting
        assert answer.json()["status"] == "approved"
        assert answer.json()["decidedAt"] == decided.json()["decidedAt"]
        assert time.monotonic() - started < 20  # pushed, not the 30 s timeout


@pytest.mark.timeout(60)
async def test_long_poll_times_out_with_pending(two_apis: list[ServeProcess]) -> None:
    async with httpx.AsyncClient(timeout=40) as http:
        interrupt_id = await create(http, two_apis[0].url)
        started = time.monotonic()
        answer = await http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait=1")
        assert answer.status_code == 200
        assert answer.json()["status"] == "pending"
        assert time.monotonic() - started >= 0.9


@pytest.mark.timeout(60)
async def test_long_poll_wakes_at_the_deadline_without_any_worker(two_apis: list[ServeProcess]) -> None:
    async with httpx.AsyncClient(timeout=40) as http:
        interrupt_id = await create(http, two_apis[0].url, expiresIn=1)
        answer = await http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait=30")
        assert answer.json()["status"] == "expired"


@pytest.mark.timeout(30)
async def test_long_poll_on_terminal_or_unknown_answers_at_once(two_apis: list[ServeProcess]) -> None:
    async with httpx.AsyncClient(timeout=5) as http:  # a wait here would blow the 5 s client timeout
        interrupt_id = await create(http, two_apis[0].url)
        await http.delete(f"{two_apis[0].url}/interrupts/{interrupt_id}")
        assert (await http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait=30")).json()["status"] == "cancelled"
        unknown = await http.get(f"{two_apis[0].url}/interrupts/{uuid.uuid4()}?wait=30")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "Interrupt not found"


@pytest.mark.parametrize("wait", ["0", "-1", "abc", ""])
async def test_bad_wait_values_are_400(two_apis: list[ServeProcess], wait: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        interrupt_id = await create(http, two_apis[0].url)
        response = await http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait={wait}")
        assert response.status_code == 400
        assert response.json()["field"] == "wait"


@pytest.mark.timeout(120)
async def test_no_waiter_misses_a_decision_while_pubsub_connections_are_killed(
    two_apis: list[ServeProcess], redis: Redis
) -> None:
    limits = httpx.Limits(max_connections=300)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        ids = [await create(http, two_apis[i % 2].url) for i in range(100)]
        waits = [
            asyncio.create_task(http.get(f"{two_apis[(i + w) % 2].url}/interrupts/{interrupt_id}?wait=45"))
            for i, interrupt_id in enumerate(ids)
            for w in range(2)
        ]
        killed = 0
        for i, interrupt_id in enumerate(ids):
            if i % 10 == 0:
                killed += await kill_pubsub_clients(redis)
            await http.post(f"{two_apis[i % 2].url}/interrupts/{interrupt_id}/decide", json={"decision": "rejected"})
        answers = await asyncio.gather(*waits)
    assert killed >= 2  # the subscriptions really were cut, more than once
    assert len(answers) == 200
    assert all(a.json()["status"] == "rejected" for a in answers), [
        (a.status_code, a.json().get("status"), a.json().get("error"))
        for a in answers
        if a.json().get("status") != "rejected"
    ][:5]


@pytest.mark.timeout(60)
async def test_a_waiter_whose_marker_was_lost_renews_it_when_pubsub_comes_back(
    two_apis: list[ServeProcess], redis: Redis
) -> None:
    """As after a Redis restart that lost the last second: no marker, so no publish, until the waiter renews it."""
    async with httpx.AsyncClient(timeout=40) as http:
        interrupt_id = await create(http, two_apis[0].url)
        marker = keys.watched(interrupt_id)
        started = time.monotonic()
        waiting = asyncio.create_task(http.get(f"{two_apis[0].url}/interrupts/{interrupt_id}?wait=30"))
        await until(lambda: redis.exists(marker))  # the waiter has registered
        await redis.delete(marker)
        assert await kill_pubsub_clients(redis)
        await until(lambda: redis.exists(marker))  # resubscribed: every waiter woke, renewed and re-read
        decided = await http.post(f"{two_apis[1].url}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
        assert decided.status_code == 200
        answer = await waiting
        assert answer.json()["status"] == "approved"
        assert time.monotonic() - started < 20  # pushed, not the 30 s timeout
