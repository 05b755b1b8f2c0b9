"""Worker benchmark: deliveries per second, decision → first attempt latency, expiry lateness at scale.

Run: `uv run python -m tests.bench.worker [--deliveries 10000] [--decisions 1000] [--pending 100000]
[--expiring 10000]`. Embedded Valkey, one `interlock worker` process, a receiver (uvicorn, this
process) on loopback answering 204. Interrupts are written through the real store.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.models import Decision, NewInterrupt
from service.embedded import EmbeddedRedis
from service.store.interrupts import InterruptStore
from tests.receivers import SECRET, Receiver, running


def new(url: str, expires_ms: int) -> NewInterrupt:
    return NewInterrupt(
        agent_id="bench", user_id="worker-bench", action="pay", context='{"amount": 1}', urgency="low",
        expires_in_ms=expires_ms, callback_url=url,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def worker_process(url: str) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL"))}
    env |= {"REDIS_URL": url, "WEBHOOK_SECRET": SECRET, "INTERLOCK_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8"}
    env["INTERLOCK_LOG_LEVEL"] = "WARNING"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "service", "worker", env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def in_batches(coros: list, size: int = 500) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(0, len(coros), size):
        out += await asyncio.gather(*coros[i : i + size])
    return out


async def throughput(store: InterruptStore, redis_url: str, receiver: Receiver, count: int) -> None:
    ids = [c.id for c in await in_batches([store.create(new(receiver.url("/tp"), 3_600_000)) for _ in range(count)])]
    await in_batches([store.cancel(i) for i in ids])  # the outbox now holds `count` webhooks
    started = time.perf_counter()
    async with worker_process(redis_url):
        await receiver.wait_until(lambda got: len(got.get("/tp", [])) >= count)
        elapsed = time.perf_counter() - started
    times = sorted(r.at for r in receiver.received["/tp"])
    steady = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"deliveries: {count} in {elapsed:.2f}s incl. worker startup = {count / elapsed:,.0f}/s; "
        f"first to last delivery: {steady:,.0f}/s (one worker)"
    )


async def decision_latency(store: InterruptStore, redis_url: str, receiver: Receiver, count: int) -> None:
    ids = [c.id for c in await in_batches([store.create(new(receiver.url("/lat"), 3_600_000)) for _ in range(count)])]
    lat: list[float] = []
    async with worker_process(redis_url):
        await asyncio.sleep(1.5)  # let the worker start
        for n, interrupt_id in enumerate(ids, 1):
            sent = time.monotonic()
            await store.decide(interrupt_id, Decision(decision="approved"))
            got = await receiver.wait_for("/lat", n)
            lat.append((got[-1].at - sent) * 1000)
    print(f"decision → first attempt: p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms, max {max(lat):.2f} ms")


async def expiry_lateness(
    store: InterruptStore, redis_url: str, receiver: Receiver, pending: int, expiring: int
) -> None:
    await in_batches([store.create(new(receiver.url("/long"), 3_600_000)) for _ in range(pending)])
    window_ms = 60_000
    lead_ms = 20_000  # time to write the expiring ones before the first deadline
    base = SystemClock().now_ms() + lead_ms
    expires = {}
    async with worker_process(redis_url):
        for i in range(expiring):
            expires_at = base + i * window_ms // expiring
            created = await store.create(new(receiver.url("/exp"), expires_at - SystemClock().now_ms()))
            expires[f"msg_{created.id}_2"] = created.expires_at
        await receiver.wait_until(lambda got: len(got.get("/exp", [])) >= expiring)
    offset = time.time() * 1000 - time.monotonic() * 1000
    late = [r.at * 1000 + offset - expires[r.headers["webhook-id"]] for r in receiver.received["/exp"]]
    print(
        f"expired webhook after deadline ({pending:,} pending, {expiring:,} expiring in 60 s): "
        f"p50 {pct(late, 50):.0f} ms, p99 {pct(late, 99):.0f} ms, max {max(late):.0f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=1_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--expiring", type=int, default=10_000)
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    server = EmbeddedRedis(tempfile.mkdtemp(prefix="interlock-bench-")).start()
    redis = Redis.from_url(server.url, decode_responses=True)
    store = InterruptStore(redis, SystemClock(), retention_ms=3_600_000)
    try:
        async with running(Receiver()) as receiver:
            await throughput(store, server.url, receiver, args.deliveries)
            await decision_latency(store, server.url, receiver, args.decisions)
            await expiry_lateness(store, server.url, receiver, args.pending, args.expiring)
    finally:
        await redis.aclose()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
