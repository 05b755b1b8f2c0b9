"""Work across partitions (keys.PARTITIONS): reads pipelined per partition and merged, and group commits.

Only reads and aggregates span partitions (the workers' sweeps, /metrics, the failed list); every
transition stays inside one. On Redis Cluster the pipeline is split by node and sent in parallel.
"""

import asyncio
import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from redis.asyncio.cluster import RedisCluster

from service.store import keys
from service.store.connection import AnyRedis
from service.store.scripts import source

KeyOf = Callable[[int], str]
Command = tuple[int, Sequence[Any]]  # (partition, the command and its arguments)


async def each(redis: AnyRedis, command: str, key_of: KeyOf, *args: Any) -> list[Any]:
    """`command key_of(p) *args` for every partition p, in one pipeline: the replies by partition."""
    async with redis.pipeline(transaction=False) as pipe:
        for partition in range(keys.PARTITIONS):
            pipe.execute_command(command, key_of(partition), *args)
        replies: list[Any] = await pipe.execute()
    return replies


async def due(redis: AnyRedis, key_of: KeyOf, now_ms: int, limit: int) -> list[str]:
    """The members of the sorted sets `key_of(p)` scored at or before `now_ms`, lowest score first, at most `limit`."""
    rows = await each(redis, "ZRANGE", key_of, "-inf", now_ms, "BYSCORE", "LIMIT", 0, limit, "WITHSCORES")
    scored = [[(float(row[i + 1]), row[i]) for i in range(0, len(row), 2)] for row in rows]
    return [member for _, member in heapq.merge(*scored)][:limit]


async def earliest(redis: AnyRedis, key_of: KeyOf) -> int | None:
    """The lowest score in any of the sorted sets `key_of(p)` (ms), or None when all are empty."""
    rows = await each(redis, "ZRANGE", key_of, 0, 0, "WITHSCORES")
    scores = [float(row[1]) for row in rows if row]
    return int(min(scores)) if scores else None


async def summed(redis: AnyRedis, key_of: KeyOf) -> dict[str, int]:
    """The hashes `key_of(p)` of integer counters, added up field by field."""
    total: Counter[str] = Counter()
    for flat in await each(redis, "HGETALL", key_of):
        pairs = flat.items() if isinstance(flat, dict) else zip(flat[0::2], flat[1::2], strict=True)
        total.update({field: int(value) for field, value in pairs})
    return dict(total)


class Transactions:
    """Commands run atomically as one script call (`transact.lua`): one on one server, one per partition on a cluster.

    Within a partition the commands keep their order and are atomic either way (a write that must
    not happen without another, an acknowledgement without its logged attempt, is in its partition).
    A script, not MULTI: redis-py's cluster transactions break connections when run concurrently.
    """

    def __init__(self, redis: AnyRedis) -> None:
        self._redis = redis
        self._script = redis.register_script(source("transact"))

    async def run(self, commands: Iterable[Command]) -> None:
        """Run `commands`, each (partition, command and arguments)."""
        by_partition: dict[int, list[list[str]]] = defaultdict(list)
        for partition, command in commands:
            by_partition[partition].append([p.decode() if isinstance(p, bytes) else str(p) for p in command])
        if isinstance(self._redis, RedisCluster):
            await asyncio.gather(*(self._call(p, queued) for p, queued in by_partition.items()))
        elif by_partition:
            await self._call(0, [command for queued in by_partition.values() for command in queued])

    async def _call(self, partition: int, commands: list[list[str]]) -> None:
        await self._script(keys=[keys.outbox(partition)], args=[json.dumps(commands)])
