"""Real `interlock serve` processes on loopback: decide races across two API processes, and restarts."""

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from service.store import keys
from tests.processes import ServeProcess, child_pids, poll_until

BODY = {"agentId": "racer", "userId": "race-user", "action": "pay", "context": {"n": 1}}


async def race(apis: list[ServeProcess], http: httpx.AsyncClient) -> list[httpx.Response]:
    created = await http.post(f"{apis[0].url}/interrupts", json=BODY)
    interrupt_id = created.json()["interruptId"]
    decides = [
        http.post(f"{apis[i % 2].url}/interrupts/{interrupt_id}/decide",
                  json={"decision": "approved" if i % 4 < 2 else "rejected", "reason": f"caller {i}"})
        for i in range(20)
    ]  # fmt: skip
    return list(await asyncio.gather(*decides))


@pytest.mark.timeout(120)
async def test_twenty_concurrent_decides_over_two_processes_have_one_winner(
    two_apis: list[ServeProcess], redis: Redis
) -> None:
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        for _ in range(10):
            responses = await race(two_apis, http)
            winners = [r for r in responses if r.status_code == 200]
            losers = [r for r in responses if r.status_code == 409]
            assert len(winners) == 1 and len(losers) == 19, [r.status_code for r in responses]
            winner = winners[0].json()
            for loser in losers:
                current = loser.json()["current"]
                assert current["decision"] == winner["decision"]
                assert current["decidedAt"] == winner["decidedAt"]
            events = [json.loads(e) for e in await redis.lrange(keys.events(winner["interruptId"]), 0, -1)]
            assert [(e["v"], e["status"]) for e in events] == [(2, winner["decision"])]


@pytest.mark.timeout(120)
def test_interrupts_survive_a_restart_of_serve_with_embedded_redis(tmp_path: Path) -> None:
    env = {"INTERLOCK_DATA_DIR": str(tmp_path / "data")}
    first = ServeProcess(env, args=(), log=tmp_path / "serve.log").wait_ready()
    try:
        created = httpx.post(f"{first.url}/interrupts", json=BODY, timeout=10).json()
        decided = httpx.post(f"{first.url}/interrupts/{created['interruptId']}/decide",
                             json={"decision": "approved", "reason": "before restart"}, timeout=10)  # fmt: skip
        assert decided.status_code == 200
        pending = httpx.post(f"{first.url}/interrupts", json=BODY, timeout=10).json()
    finally:
        assert first.stop() == 0
    assert os.listdir(tmp_path / "data" / "appendonlydir")
    second = ServeProcess(env, args=(), log=tmp_path / "serve.log").wait_ready()
    try:
        again = httpx.get(f"{second.url}/interrupts/{created['interruptId']}", timeout=10).json()
        assert (again["status"], again["reason"]) == ("approved", "before restart")
        still = httpx.get(f"{second.url}/interrupts/{pending['interruptId']}", timeout=10).json()
        assert still["status"] == "pending"
    finally:
        assert second.stop() == 0


def _http_workers(serve_pid: int) -> set[int]:
    """The pids of granian's HTTP workers under `interlock serve --no-worker` (its children but Redis)."""
    found = set()
    for pid in child_pids(serve_pid):
        with contextlib.suppress(FileNotFoundError):
            if Path(f"/proc/{pid}/comm").read_text().strip() != "valkey-server":
                found.add(pid)
    return found


@pytest.mark.timeout(120)
def test_a_killed_http_worker_is_replaced_while_the_other_serves(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    serve = ServeProcess({"INTERLOCK_DATA_DIR": str(tmp_path / "data"), "INTERLOCK_WORKERS": "2"}, log=log)
    serve.wait_ready()

    def started() -> int:
        return log.read_text().count("Started worker-")

    try:
        poll_until(lambda: started() == 2, "both HTTP workers")
        created = httpx.post(f"{serve.url}/interrupts", json=BODY, timeout=10).json()
        before = _http_workers(serve.proc.pid)
        assert len(before) == 2, before
        os.kill(min(before), signal.SIGKILL)  # as the OOM killer would

        def answered_and_replaced() -> bool:
            try:
                read = httpx.get(f"{serve.url}/interrupts/{created['interruptId']}", timeout=10)
            except httpx.TransportError:  # a connection the kernel had queued on the killed worker's socket
                return False
            assert read.status_code == 200 and serve.proc.poll() is None  # the other worker serves meanwhile
            return started() == 3

        poll_until(answered_and_replaced, "a replacement worker")
        after = _http_workers(serve.proc.pid)
        assert len(after) == 2 and min(before) not in after, (before, after)
    finally:
        assert serve.stop() == 0
