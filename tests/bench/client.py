"""Client benchmark: how soon after a decision `ask()` returns, against a bare httpx long-poll doing the same wait.

Run: `uv run python -m tests.bench.client [--samples 500]`. Starts one `interlock serve --no-worker`
process with one HTTP worker (embedded Valkey, auth off). Each round takes one sample of each way
of waiting, in turn: `AsyncInterlock.ask` (event stream), `AsyncInterlock(stream=False).ask`
(long-poll), `Interlock.ask` on a thread, and a bare `httpx` long-poll of `GET /interrupts/{id}?wait=30`.
A sample waits until the server counts the waiter open (its `/metrics` gauge), decides the
interrupt, and times from the decide's 200 to the waiter's return. Prints p50/p99 (ms) per way and
the client's p50 overhead over the bare long-poll.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from interlock_client import AsyncInterlock, Interlock
from service.embedded import free_port
from tests.bench.core import start_server, wait_http
from tests.processes import until

Wait = Callable[[str], Coroutine[Any, Any, Any]]  # waits on user `u` (its one interrupt) until decided


async def waiters_open(http: httpx.AsyncClient) -> float:
    """The server's gauge of open long-polls and streams."""
    text = (await http.get("/metrics")).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("interlock_waiters_open"))


async def attached(http: httpx.AsyncClient) -> bool:
    """True once the server holds one waiter open."""
    return await waiters_open(http) >= 1


async def sample(http: httpx.AsyncClient, user: str, wait: Wait) -> float:
    """One decision → return latency (ms) of `wait`."""
    waiting: asyncio.Task[Any] = asyncio.create_task(wait(user))
    await until(lambda: attached(http), within=10, every=0.001)  # the waiter is attached before the decision
    listed = (await http.get(f"/interrupts/pending/{user}")).json()
    reply = await http.post(f"/interrupts/{listed[0]['interruptId']}/decide", json={"decision": "approved"})
    acked = time.perf_counter()
    assert reply.status_code == 200, reply.text
    outcome = await asyncio.wait_for(waiting, 30)
    done = time.perf_counter()
    assert getattr(outcome, "approved", outcome) is True
    return (done - acked) * 1000


def ways(base: str, http: httpx.AsyncClient, streaming: AsyncInterlock, polling: AsyncInterlock,
         blocking: Interlock) -> dict[str, Wait]:  # fmt: skip
    """Each way of waiting, as a function of the user it asks for."""
    context = {"n": 1}

    async def bare(user: str) -> bool:
        body = {"agentId": "bench", "userId": user, "action": "deploy", "context": {"n": 1}}
        made = (await http.post("/interrupts", json=body)).json()
        read = await http.get(f"/interrupts/{made['interruptId']}", params={"wait": 30}, timeout=40)
        return bool(read.json()["status"] == "approved")

    return {
        "client_sse": lambda user: streaming.ask("deploy", context=context, user_id=user, agent_id="bench"),
        "client_longpoll": lambda user: polling.ask("deploy", context=context, user_id=user, agent_id="bench"),
        "client_sync_thread": lambda user: asyncio.to_thread(
            blocking.ask, "deploy", context=context, user_id=user, agent_id="bench"
        ),
        "bare_httpx_longpoll": bare,
    }


def summary(samples: list[float]) -> dict[str, float]:
    """p50 and p99 (ms)."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p99": round(cuts[98], 2)}


async def measure(base: str, samples: int) -> dict[str, Any]:
    """`samples` rounds, one sample of each way per round."""
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        AsyncInterlock(base) as streaming,
        AsyncInterlock(base, stream=False) as polling,
    ):
        with Interlock(base) as blocking:
            chosen = ways(base, http, streaming, polling, blocking)
            for name, wait in chosen.items():  # warm up every connection pool
                await sample(http, f"warm-{name}", wait)
            taken: dict[str, list[float]] = {name: [] for name in chosen}
            for n in range(samples):
                for name, wait in chosen.items():
                    taken[name].append(await sample(http, f"bench-{os.getpid()}-{name}-{n}", wait))
    found = {name: summary(values) for name, values in taken.items()}
    overhead = {n: round(v["p50"] - found["bare_httpx_longpoll"]["p50"], 2) for n, v in found.items() if "client" in n}
    return {"samples": samples, "ms": found, "p50_overhead_vs_bare_ms": overhead}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-client-bench-"))
    port = free_port()
    env = {"INTERLOCK_DATA_DIR": str(tmp / "data"), "INTERLOCK_WORKERS": "1"}
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"], env, tmp / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_http, f"{base}/health")
        print(json.dumps(await measure(base, args.samples)))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
