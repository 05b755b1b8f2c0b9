"""Loop benchmark: create (5 participants) and resolve throughput with wrk, resolve → status waiter latency.

Run: `uv run python -m tests.bench.loops [--duration 8] [--connections 50]` (needs `wrk`). One
`interlock serve --no-worker` as a user starts it (granian, 2 workers) on an embedded Valkey that
this script starts, so it can seed promises straight through the store for the resolve run.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.loops import NewLoop
from service.embedded import EmbeddedRedis, free_port
from service.store.loops import LoopStore
from tests.bench import core
from tests.bench.core import start_reference, start_server, wait_http, wrk

PEOPLE = [f"reviewer{i}@example.com" for i in range(5)]
BODY = json.dumps({"loop_name": "release 2.0", "loop_description": "ship the release?", "participants": PEOPLE,
                   "participant_timeout": 3_600_000})  # fmt: skip
CREATE_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
"""
RESOLVE_LUA = """local ids = {}
local n = 0
init = function(args)
  for line in io.lines("%s") do ids[#ids + 1] = line end
end
request = function()
  n = n + 1
  local body = '{"accept":true}'
  return wrk.format("POST", "/v1/loop/participant/resolve/" .. ids[(n - 1) %% #ids + 1],
    {["Content-Type"] = "application/json"}, body)
end
"""


async def seed(url: str, loops: int) -> list[str]:
    async with Redis.from_url(url, decode_responses=True) as redis:
        store = LoopStore(redis, SystemClock(), retention_ms=3_600_000)
        new = NewLoop(name="bench", description="", participants=tuple(PEOPLE), timeout_ms=3_600_000)
        ids: list[str] = []
        for start in range(0, loops, 500):
            made = await asyncio.gather(*(store.create(new) for _ in range(min(500, loops - start))))
            ids += [p for m in made for p in m.promise_ids]
    return ids


async def waiter_latency(base: str, count: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for _ in range(count):
            made = await http.post("/v1/loop/create", content=BODY.replace(json.dumps(PEOPLE), json.dumps(PEOPLE[:1])),
                                   headers={"content-type": "application/json"})  # fmt: skip
            loop = made.json()["data"]["loop_data"]
            waiting = asyncio.create_task(http.get(f"/v1/loop/status/{loop['loop_id']}?wait=30"))
            await asyncio.sleep(0.02)  # benchmark pacing: let the waiter register
            await http.post(f"/v1/loop/participant/resolve/{loop['participants'][0]['promise_id']}",
                            json={"accept": True})  # fmt: skip
            resolved = time.perf_counter()
            answer = await waiting
            out.append((time.perf_counter() - resolved) * 1000)
            assert answer.json()["data"]["status"] == "ACCEPTED"
    return out


def reference_create(tmp: Path, args: argparse.Namespace) -> dict[str, object]:
    """The bare-stack reference's create rate on this machine now (what the absolute targets scale with)."""
    redis = EmbeddedRedis(tmp / "ref-redis").start()
    port = free_port()
    server = start_reference(port, redis.url, {"INTERLOCK_LOG_LEVEL": "WARNING"}, tmp / "ref.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        (tmp / "ref-create.lua").write_text(core.CREATE_LUA % core.BODY)
        wrk(f"http://127.0.0.1:{port}/interrupts", tmp / "ref-create.lua", 3, args.connections)  # warm-up, as in core
        return wrk(f"http://127.0.0.1:{port}/interrupts", tmp / "ref-create.lua", args.duration, args.connections)
    finally:
        server.terminate()
        server.wait(30)
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seed-loops", type=int, default=12_000)
    parser.add_argument("--waiters", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-bench-"))
    redis = EmbeddedRedis(tmp / "redis").start()
    port = free_port()
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"],
                          {"REDIS_URL": redis.url, "INTERLOCK_LOG_LEVEL": "WARNING"}, tmp / "serve.log")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health")
        (tmp / "create.lua").write_text(CREATE_LUA % BODY)
        wrk(f"{base}/v1/loop/create", tmp / "create.lua", 3, args.connections)  # warm-up
        create = wrk(f"{base}/v1/loop/create", tmp / "create.lua", args.duration, args.connections)
        (tmp / "promises.txt").write_text("\n".join(asyncio.run(seed(redis.url, args.seed_loops))) + "\n")
        (tmp / "resolve.lua").write_text(RESOLVE_LUA % (tmp / "promises.txt"))
        resolve = wrk(base, tmp / "resolve.lua", args.duration, args.connections)
        reference = reference_create(tmp, args)
        lat = sorted(asyncio.run(waiter_latency(base, args.waiters)))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"create (5 participants), {args.connections} connections: {create}")
        print(f"resolve, {args.connections} connections: {resolve}")
        print(f"for scale, the bare-stack reference's create (issue 3) right after: {reference}; "
              f"resolve / reference create = {resolve['rps'] / reference['rps']:.2f}x")  # fmt: skip
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print(f"resolve → status waiter ({len(lat)} loops): p50 {statistics.median(lat):.2f} ms, p99 {p99:.2f} ms")
    finally:
        server.terminate()
        server.wait(30)
        redis.stop()


if __name__ == "__main__":
    main()
