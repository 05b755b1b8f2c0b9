"""Loops over real API processes: waits pushed by pub/sub, SSE with resume, and concurrent resolves."""

import asyncio
import random
import time
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from service.domain import loops
from tests.processes import ServeProcess


def body(n: int, **extra: Any) -> dict[str, Any]:
    return {"loop_name": "ship it", "loop_description": "release 2.0", "participants": [f"r{i}@example.com" for i in
            range(n)], "participant_timeout": 600_000} | extra  # fmt: skip


async def create(http: httpx.AsyncClient, base: str, n: int, **extra: Any) -> dict[str, Any]:
    answer = await http.post(f"{base}/v1/loop/create", json=body(n, **extra))
    data: dict[str, Any] = answer.json()["data"]["loop_data"]
    return data


async def resolve(http: httpx.AsyncClient, base: str, promise_id: str, accept: bool) -> int:
    answer = await http.post(f"{base}/v1/loop/participant/resolve/{promise_id}", json={"accept": accept})
    return answer.status_code


@pytest.mark.timeout(60)
async def test_status_long_poll_wakes_on_a_resolve_through_another_process(two_apis: list[ServeProcess]) -> None:
    a, b = (api.url for api in two_apis)
    async with httpx.AsyncClient(timeout=40) as http:
        loop = await create(http, a, 1)
        started = time.monotonic()
        waiting = asyncio.create_task(http.get(f"{a}/v1/loop/status/{loop['loop_id']}?wait=30"))
        assert await resolve(http, b, loop["participants"][0]["promise_id"], True) == 200
        answer = (await waiting).json()["data"]
        assert (answer["status"], answer["resolved"]) == ("ACCEPTED", True)
        assert time.monotonic() - started < 20  # pushed, not the 30 s timeout
        pending = await create(http, a, 1)
        quiet = await http.get(f"{a}/v1/loop/status/{pending['loop_id']}?wait=0.5")
        assert quiet.json()["data"]["status"] == "PENDING"


@pytest.mark.timeout(60)
async def test_loop_stream_sends_each_state_and_resumes(two_apis: list[ServeProcess]) -> None:
    a, b = (api.url for api in two_apis)
    async with httpx.AsyncClient(timeout=30) as http:
        loop = await create(http, a, 2)
        url = f"{a}/v1/loop/events/{loop['loop_id']}"
        async with aconnect_sse(http, "GET", url) as source:
            events = (e async for e in source.aiter_sse() if e.event != "message")
            first = await anext(events)
            assert (first.id, first.event) == ("1", "PENDING")
            await resolve(http, b, loop["participants"][0]["promise_id"], True)
            second = await anext(events)
            assert (second.id, second.event) == ("2", "PENDING")
            assert second.json()["message"] == "waiting on 1 of 2 participant(s)"
            await resolve(http, b, loop["participants"][1]["promise_id"], True)
            rest = [e async for e in events]
        assert [(e.id, e.event) for e in rest] == [("3", "ACCEPTED")]
        assert rest[0].json()["result"]["status"] == "ACCEPTED"
        async with aconnect_sse(http, "GET", url, headers={"Last-Event-ID": "2"}) as source:
            resumed = [(e.id, e.event) async for e in source.aiter_sse() if e.event != "message"]
        assert resumed == [("3", "ACCEPTED")]
        missing = await http.get(f"{a}/v1/loop/events/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404


@pytest.mark.slow  # 1,000 loops, ~7,000 requests
@pytest.mark.timeout(180)
async def test_concurrent_resolves_give_one_outcome_per_loop_consistent_with_the_votes(
    two_apis: list[ServeProcess],
) -> None:
    urls = [api.url for api in two_apis]
    rng = random.Random(42)
    policies: list[Any] = ["all", "any", {"quorum": 3}]
    slots = asyncio.Semaphore(64)  # many clients at once, without queueing thousands inside httpx's pool

    async def bounded(call: Any) -> Any:
        async with slots:
            return await call

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        made = await asyncio.gather(
            *(bounded(create(http, urls[i % 2], 5, policy=policies[i % 3])) for i in range(1000))
        )
        votes = {p["promise_id"]: rng.random() < 0.7 for loop in made for p in loop["participants"]}
        order = list(votes)
        rng.shuffle(order)
        codes = await asyncio.gather(
            *(bounded(resolve(http, urls[i % 2], pid, votes[pid])) for i, pid in enumerate(order))
        )
        answered = dict(zip(order, codes, strict=True))
        statuses = await asyncio.gather(
            *(bounded(http.get(f"{urls[0]}/v1/loop/status/{loop['loop_id']}")) for loop in made)
        )
    for loop, policy, status in zip(made, [policies[i % 3] for i in range(1000)], statuses, strict=True):
        data = status.json()["data"]
        ids = [p["promise_id"] for p in loop["participants"]]
        k = loops.quorum(policy if isinstance(policy, str) else f"quorum:{policy['quorum']}", 5)
        expected = loops.ACCEPTED if sum(votes[i] for i in ids) >= k else loops.REJECTED
        assert data["status"] == expected, loop["loop_id"]
        results = data["result"]["results"]
        for pid, result in zip(ids, results, strict=True):
            if answered[pid] == 200:  # the resolve took effect: recorded as voted
                assert (result["state"], result["accept"]) == ("RESOLVED", votes[pid])
            else:  # refused because the loop had already ended: closed, no vote
                assert answered[pid] == 409
                assert (result["state"], result["accept"]) == ("CANCELLED", None)
        recorded = [r["accept"] for r in results if r["state"] == "RESOLVED"]
        decided_by = sum(recorded) >= k if expected == loops.ACCEPTED else len(recorded) - sum(recorded) > 5 - k
        assert decided_by, loop["loop_id"]  # the votes it kept are enough to explain its outcome
