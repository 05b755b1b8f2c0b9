"""Per-operation server costs, and the cluster sizing model built from them (docs/performance.md).

Run: `uv run python -m tests.bench.cluster_model [--count 20000] [--api 8]`. Drives the real stores
against one embedded server, one phase at a time (creates, reads, decides, and a decide with a
waiter), and reads the server's own accounting after each: `INFO commandstats` (µs of server CPU
per call, by command: a transition is one EVALSHA) and `used_memory` (bytes per stored record).
Then states, for 10 M, 100 M and 1 B interrupts a day on 1, 3, 6 and 12 primaries (each one core
like this machine's, every interrupt made once, read four times and decided once, kept 7 days):
each primary's busy share of its core, the memory it holds, the classic pub/sub messages per
second with `--api` API processes (every process hears every watched change), and the ceiling
(70 % of every core busy).
"""

import argparse
import asyncio
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.models import Decision, NewInterrupt
from service.embedded import EmbeddedRedis
from service.store.interrupts import InterruptStore
from tests.bench.core import CONTEXT
from tests.clients import blocking_client

PRIMARIES = (1, 3, 6, 12)
VOLUMES = (10_000_000, 100_000_000, 1_000_000_000)  # interrupts a day
RETENTION_DAYS = 7
MIX = {"create": 1, "read": 4, "decide": 1}  # per interrupt: made once, read a few times (polls, page), decided once


async def server_usec(redis: Redis) -> dict[str, tuple[int, float]]:
    """(calls, µs) by command since the last CONFIG RESETSTAT."""
    stats = await redis.info("commandstats")
    return {name[len("cmdstat_") :]: (int(v["calls"]), float(v["usec"])) for name, v in stats.items()}


async def phase(redis: Redis, work: Any) -> tuple[float, int]:
    """Run `work` with fresh stats: (server µs per call of the command doing the work, calls)."""
    await redis.config_resetstat()
    await work
    stats = await server_usec(redis)
    calls, usec = max(stats.values(), key=lambda cu: cu[1])  # the phase's own command dominates
    return usec / calls, calls


async def measure(url: str, count: int) -> dict[str, float]:
    """Server µs per create, read and decide, and bytes per pending and per decided record."""
    redis = blocking_client(url)
    store = InterruptStore(redis, SystemClock(), retention_ms=7 * 86_400_000)
    context = json.dumps(CONTEXT, separators=(",", ":"))
    new = [NewInterrupt(agent_id="agent-payments-v2", user_id=f"user-{i % 500}", action="Send payment",
                        context=context, urgency="high", expires_in_ms=3_600_000) for i in range(count)]  # fmt: skip
    before = (await redis.info("memory"))["used_memory"]
    ids: list[str] = []

    async def create() -> None:
        for chunk in range(0, count, 200):
            made = await asyncio.gather(*(store.create(n) for n in new[chunk : chunk + 200]))
            ids.extend(m.id for m in made)

    async def read() -> None:
        for chunk in range(0, count, 200):
            await asyncio.gather(*(store.get(i) for i in ids[chunk : chunk + 200]))

    async def decide() -> None:
        for chunk in range(0, count, 200):
            await asyncio.gather(*(store.decide(i, Decision(decision="approved")) for i in ids[chunk : chunk + 200]))

    create_us, _ = await phase(redis, create())
    pending_bytes = ((await redis.info("memory"))["used_memory"] - before) / count
    read_us, _ = await phase(redis, read())
    decide_us, _ = await phase(redis, decide())
    decided_bytes = ((await redis.info("memory"))["used_memory"] - before) / count
    await redis.aclose()
    return {"create_us": create_us, "read_us": read_us, "decide_us": decide_us,
            "pending_bytes": pending_bytes, "decided_bytes": decided_bytes}  # fmt: skip


def model(costs: dict[str, float], api: int) -> list[dict[str, Any]]:
    """Per primary, for P primaries and a daily volume: its core's busy share and the memory it holds (7 days)."""
    per_interrupt_us = sum(costs[f"{op}_us"] * n for op, n in MIX.items())
    rows = []
    for per_day in VOLUMES:
        per_second = per_day / 86_400
        held_gib = per_day * RETENTION_DAYS * costs["decided_bytes"] / 2**30
        for primaries in PRIMARIES:
            rows.append({"per_day": f"{per_day / 1e6:g} M", "primaries": primaries,
                         "core_busy_per_primary": f"{per_second * per_interrupt_us / 1e6 / primaries:.0%}",
                         "gib_per_primary": round(held_gib / primaries, 1),
                         "pubsub_messages_per_second_classic": round(per_second * api),
                         "ceiling_interrupts_per_s": int(primaries * 0.7 * 1e6 / per_interrupt_us)})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--api", type=int, default=8, help="API processes, for the fan-out column")
    args = parser.parse_args()
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="interlock-model-"))).start()
    try:
        costs = asyncio.run(measure(server.url, args.count))
    finally:
        server.stop()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {args.count} interrupts")
    print(json.dumps({k: round(v, 1) for k, v in costs.items()}))
    for row in model(costs, args.api):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
