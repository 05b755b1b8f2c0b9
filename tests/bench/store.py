"""Scale benchmark: the pending list and analytics with 1,000,000 stored interrupts, and Redis memory per interrupt.

Run: `uv run python -m tests.bench.store [--count 1000000]`. Fills an embedded server through the real
create script (pipelined), then times GET /interrupts/pending/{user} and GET /analytics/{user} for a
user with 10 pending over HTTP against `interlock serve`.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from redis.asyncio import Redis

from service.domain.models import API_ANONYMOUS, NewInterrupt
from service.embedded import EmbeddedRedis, free_port
from service.store import keys
from service.store.ids import new_id
from service.store.interrupt_calls import create_args, create_keys
from service.store.scripts import Scripts
from tests.bench.core import CONTEXT, start_server, wait_http

CONTEXT_TEXT = json.dumps(CONTEXT, separators=(",", ":"))
ACTIONS = [f"Send payment batch {i}" for i in range(20)]
RETENTION = 7 * 86_400_000
USER_TTL = RETENTION + 2_592_000_000 + 86_400_000


async def fill(redis: Redis, count: int, users: int, batch: int = 2000) -> float:
    """Create `count` interrupts spread over `users` users; return creates per second."""
    scripts = Scripts.register(redis)
    start = time.perf_counter()
    now = int(time.time() * 1000)
    done = 0
    while done < count:
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(done, min(done + batch, count)):
                user = f"user-{i % users}"
                interrupt_id = new_id(keys.user_partition(user))
                new = NewInterrupt(
                    agent_id="agent-payments-v2",
                    user_id=user,
                    action=ACTIONS[i % len(ACTIONS)],
                    context=CONTEXT_TEXT,
                    urgency="high",
                    expires_in_ms=3_600_000,
                )
                await scripts.create(
                    keys=create_keys(interrupt_id, user),
                    args=create_args(new, interrupt_id, (now, now + 3_600_000, RETENTION, USER_TTL), API_ANONYMOUS,
                                     guarded=False),
                    client=pipe,
                )  # fmt: skip
            await pipe.execute()
        done = min(done + batch, count)
    return count / (time.perf_counter() - start)


def percentile(samples: list[float], q: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * q))]


def time_requests(url: str, n: int) -> dict[str, float]:
    """Sequential GETs over one keep-alive socket (a raw client: httpx alone adds ~0.9 ms here)."""
    parsed = httpx.URL(url)
    request = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    samples = []
    with socket.create_connection((parsed.host, parsed.port or 80), timeout=10) as sock:
        for i in range(n + 50):
            start = time.perf_counter()
            sock.sendall(request)
            status = read_response(sock)
            if i >= 50:
                samples.append((time.perf_counter() - start) * 1000)
            assert status == 200, status
    return {"p50_ms": round(statistics.median(samples), 3), "p99_ms": round(percentile(samples, 0.99), 3)}


def read_response(sock: socket.socket) -> int:
    """Read one HTTP/1.1 response with a Content-Length; return its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split(b" ", 2)[1])


async def ping_p50(redis: Redis, n: int = 2000) -> float:
    """Median client-side PING round trip in ms."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await redis.ping()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def settle(redis: Redis) -> None:
    """Wait for a background AOF rewrite (triggered by the fill) to finish, so it does not skew timings."""
    for _ in range(600):
        info = await redis.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        await asyncio.sleep(0.5)


Timing = dict[str, float]


def measure(base: str, samples: int) -> tuple[Timing, Timing, Timing, Timing]:
    """Create a user with 10 pending interrupts, then time its pending list and analytics."""
    wait_http(f"{base}/health")
    user = f"bench-user-{uuid.uuid4()}"
    body = {"agentId": "a", "userId": user, "action": "Send payment", "context": CONTEXT}
    with httpx.Client(timeout=10) as http:
        for _ in range(10):
            http.post(f"{base}/interrupts", json=body)
    return (
        time_requests(f"{base}/interrupts/pending/{user}", samples),
        time_requests(f"{base}/analytics/{user}", samples),
        time_requests(f"{base}/analytics/user-1", samples),
        time_requests(f"{base}/health", samples),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-store-bench-"))
    server = EmbeddedRedis(tmp / "redis").start()
    redis = Redis.from_url(server.url, decode_responses=True)
    try:
        base_memory = (await redis.info("memory"))["used_memory"]
        rate = await fill(redis, args.count, args.users)
        per_interrupt = ((await redis.info("memory"))["used_memory"] - base_memory) / args.count
        print(f"filled {args.count} interrupts over {args.users} users at {rate:.0f}/s; "
              f"{per_interrupt:.0f} bytes of Redis memory per interrupt (300-byte context)")  # fmt: skip
        await settle(redis)
        await redis.config_resetstat()
        port = free_port()
        api = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"],
                           {"REDIS_URL": server.url}, tmp / "serve.log")  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            pending, analytics, big, health = await asyncio.to_thread(measure, base, args.samples)
        finally:
            api.terminate()
            api.wait(30)
        print(f"pending list (10 pending, {args.count} stored): p50 {pending['p50_ms']} ms, p99 {pending['p99_ms']} ms")
        print(f"analytics (10 interrupts): p50 {analytics['p50_ms']} ms, p99 {analytics['p99_ms']} ms")
        print(f"analytics (user with {args.count // args.users} interrupts): p50 {big['p50_ms']} ms, "
              f"p99 {big['p99_ms']} ms")  # fmt: skip
        print(f"floor: GET /health p50 {health['p50_ms']} ms, p99 {health['p99_ms']} ms")
        stats = await redis.info("commandstats")
        print(f"redis: PING round trip p50 {await ping_p50(redis):.3f} ms; server time per EVALSHA "
              f"{stats['cmdstat_evalsha']['usec_per_call']} us")  # fmt: skip
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    finally:
        await redis.aclose()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
