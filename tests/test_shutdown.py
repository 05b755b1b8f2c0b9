"""Graceful shutdown: on SIGTERM a serving process answers its open long-polls and streams, then exits."""

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.processes import ServeProcess, until

BODY = {"agentId": "stopper", "userId": "shutdown-user", "action": "deploy", "context": {}}


async def waiters_open(http: httpx.AsyncClient, url: str) -> int:
    """The interlock_waiters_open gauge of the process at `url`."""
    text = (await http.get(f"{url}/metrics")).text
    line = next(line for line in text.splitlines() if line.startswith("interlock_waiters_open "))
    return int(float(line.split()[1]))


async def until_waiters(http: httpx.AsyncClient, url: str, count: int) -> None:
    """Read the gauge until `count` waits are registered (each read is a request; bounded by the test timeout)."""

    async def registered() -> bool:
        return await waiters_open(http, url) >= count

    await until(registered)


@pytest.mark.timeout(60)
async def test_sigterm_answers_open_waits_and_exits(redis_url: str, tmp_path: Path) -> None:
    api = ServeProcess({"REDIS_URL": redis_url}, log=tmp_path / "serve.log").wait_ready()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            ids = [(await http.post(f"{api.url}/interrupts", json=BODY)).json()["interruptId"] for _ in range(3)]
            polls = [asyncio.create_task(http.get(f"{api.url}/interrupts/{i}?wait=50")) for i in ids]

            async def stream() -> list[tuple[str, int | None]]:
                async with aconnect_sse(http, "GET", f"{api.url}/interrupts/{ids[0]}/events") as source:
                    return [(event.event, event.retry) async for event in source.aiter_sse()]

            streams = [asyncio.create_task(stream()) for _ in range(2)]
            await until_waiters(http, api.url, 5)
            loop = asyncio.get_running_loop()
            sent = loop.time()
            api.proc.send_signal(signal.SIGTERM)
            answers = await asyncio.gather(*polls)
            seen = await asyncio.gather(*streams)
            answered_in = loop.time() - sent
        assert [(r.status_code, r.json()["status"]) for r in answers] == [(200, "pending")] * 3
        for events in seen:
            assert events[0] == ("pending", 3000)  # the state, with the reconnect hint
            assert events[-1] == ("message", 3000)  # the shutdown's retry hint: come back (to another process)
            assert len(events) == 2
        assert answered_in < 5, f"waits answered {answered_in:.2f}s after SIGTERM (must be within 5 s)"
        assert await asyncio.to_thread(api.proc.wait, 15) == 0
    finally:
        api.stop()
