"""Webhook bookkeeping in Redis: the outbox stream and its consumer group, the attempt log, failures, the secret."""

import asyncio
from collections import Counter, defaultdict
from typing import Any, cast

import msgspec
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import AskError, MovedError, ResponseError

from service.domain.errors import RateLimited, StoreUnavailable
from service.domain.loops import Loop
from service.domain.models import Attempt, Interrupt, OutboxEntry
from service.store import keys, paging, partitions
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.loops import loop_from_hash
from service.store.records import from_hash
from service.store.scripts import source
from service.store.secrets import kept_secret

GROUP = "interlock-workers"
MAX_DELIVERIES = 8  # reads of one outbox entry before it counts as failing for good
REDELIVERY_GAP_MS = 10_000  # one redelivery per interrupt per 10 s: an operator's retry, not a load generator
_attempt_decoder = msgspec.json.Decoder(Attempt)
_encoder = msgspec.json.Encoder()


def _entries(partition: int, rows: list[Any]) -> list[OutboxEntry]:
    """Outbox entries from XREADGROUP/XAUTOCLAIM rows of (stream entry id, fields) of a partition's outbox."""
    found = []
    for stream_id, fields in rows:
        if fields:  # a deleted entry still pending in the group comes back without fields
            found.append(
                OutboxEntry(
                    entry_id=f"{partition}/{stream_id}",
                    subject_id=fields["id"],
                    version=int(fields["v"]),
                    manual="r" in fields,
                    kind=fields.get("k", "interrupt"),
                    number=int(fields.get("n", 0)),
                )
            )
    return found


def _by_partition(entry_ids: list[str]) -> dict[int, list[str]]:
    """Our entry ids (`<partition>/<stream id>`) as each partition's stream ids."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for entry_id in entry_ids:
        partition, _, stream_id = entry_id.partition("/")
        grouped[int(partition)].append(stream_id)
    return grouped


def _acked(entry_ids: list[str]) -> list[partitions.Command]:
    """The acknowledgement and deletion of handled entries: one XACK and one XDEL per partition."""
    commands: list[partitions.Command] = []
    for partition, stream_ids in _by_partition(entry_ids).items():
        commands += [(partition, ("XACK", keys.outbox(partition), GROUP, *stream_ids)),
                     (partition, ("XDEL", keys.outbox(partition), *stream_ids))]  # fmt: skip
    return commands


class DeliveryStore:
    """The outbox consumer group, the per-interrupt attempt log and the failed-delivery index."""

    def __init__(self, redis: AnyRedis, *, retention_ms: int) -> None:
        self._redis = redis
        self._retention = retention_ms
        self._page = redis.register_script(source("newest_page"))  # pages the failed-delivery index, newest first
        self._redeliver = redis.register_script(source("redeliver"))
        self._transact = partitions.Transactions(redis)
        self._readers: dict[str, Redis] = {}  # on a cluster: a client per node for the blocking outbox reads

    @translated
    async def ensure_group(self) -> None:
        """Create the workers' consumer group on every partition's outbox from its start (earlier entries count)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for partition in range(keys.PARTITIONS):
                pipe.xgroup_create(keys.outbox(partition), GROUP, id="0", mkstream=True)
            replies = await pipe.execute(raise_on_error=False)
        for reply in replies:
            if isinstance(reply, Exception) and "BUSYGROUP" not in str(reply):
                raise reply

    def read_groups(self) -> list[tuple[int, ...]]:
        """The partitions one `read` may name together: all of them on one server, one at a time on a cluster."""
        if isinstance(self._redis, RedisCluster):  # a command's keys must share a slot there
            return [(p,) for p in range(keys.PARTITIONS)]
        return [tuple(range(keys.PARTITIONS))]

    async def aclose(self) -> None:
        """Close the node clients of the blocking reads (the main client is its owner's to close)."""
        readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            await reader.aclose()

    async def _reader_for(self, partition: int) -> AnyRedis:
        """Who blocks reading a partition's outbox: on a cluster a plain client of its slot's node.

        redis-py's cluster client drops its node connections when it refreshes the slot map, which
        under 48 concurrent blocking reads it kept doing; a node's own client holds them.
        """
        if not isinstance(self._redis, RedisCluster):
            return self._redis
        await self._redis.initialize()
        node = self._redis.get_node_from_key(keys.outbox(partition))
        if node is None:
            raise StoreUnavailable()
        if node.name not in self._readers:
            pool = ConnectionPool(connection_class=node.connection_class, **node.connection_kwargs)
            self._readers[node.name] = Redis.from_pool(pool)
        return self._readers[node.name]

    @translated
    async def read(
        self, consumer: str, *, count: int, block_ms: int, partitions: tuple[int, ...] | None = None
    ) -> list[OutboxEntry]:
        """New entries for `consumer` (up to `count` of each partition), waiting up to `block_ms` for the first.

        `partitions`: one of `read_groups` (default: every partition, one server only).
        """
        chosen = range(keys.PARTITIONS) if partitions is None else partitions
        streams: dict[Any, Any] = {keys.outbox(p): ">" for p in chosen}
        reader = self._redis if partitions is None else await self._reader_for(partitions[0])
        try:
            reply = cast(list[Any], await reader.xreadgroup(GROUP, consumer, streams, count=count, block=block_ms))
        except (MovedError, AskError) as exc:  # on a cluster: the partition's slot moved since its node was looked up
            if isinstance(self._redis, RedisCluster):
                await self._redis.nodes_manager.initialize()
            raise StoreUnavailable() from exc
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()  # a stream or the group was deleted (FLUSHDB, a restore): make it again
            return []
        return [entry for stream, rows in reply or [] for entry in _entries(keys.partition_of_key(stream), rows)]

    @translated
    async def claim_stale(
        self, consumer: str, *, min_idle_ms: int, count: int, now_ms: int, max_deliveries: int = MAX_DELIVERIES
    ) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
        """Take over entries another consumer read but never acknowledged (it died mid-delivery).

        (entries to try again, entries given up on): an entry read more than `max_deliveries` times
        fails for a reason that will not go away; it is acknowledged, and a webhook's interrupt or loop
        is put in the failed list, instead of crash-looping every worker for ever.
        """
        claimed = await partitions.each(self._redis, "XAUTOCLAIM", keys.outbox, GROUP, consumer, min_idle_ms, "0-0",
                                        "COUNT", count)  # fmt: skip
        entries = [e for p, reply in enumerate(claimed) for e in _entries(p, reply[1])][:count]
        if not entries:
            return [], []
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                partition, _, stream_id = entry.entry_id.partition("/")
                pipe.xpending_range(keys.outbox(int(partition)), GROUP, min=stream_id, max=stream_id, count=1)
            pending = await pipe.execute()
        tries = [rows[0]["times_delivered"] if rows else 0 for rows in pending]
        retry = [e for e, n in zip(entries, tries, strict=True) if n <= max_deliveries]
        poisoned = [e for e, n in zip(entries, tries, strict=True) if n > max_deliveries]
        if poisoned:
            await self._give_up(poisoned, now_ms)
        return retry, poisoned

    async def _give_up(self, entries: list[OutboxEntry], now_ms: int) -> None:
        """Acknowledge entries that keep failing; their webhooks go to the failed list (mails stay as last marked)."""
        failed = [e.subject_id for e in entries if e.kind in ("interrupt", "loop")]
        listed = [
            (keys.partition_of(i), ("ZADD", keys.failed_deliveries(keys.partition_of(i)), now_ms, i)) for i in failed
        ]
        await self._transact.run([*listed, *_acked([e.entry_id for e in entries])])

    @translated
    async def ack(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries (the stream only holds work not yet done)."""
        await self._transact.run(_acked(entry_ids))

    @translated
    async def enqueue_redelivery(self, interrupt_id: str, version: int) -> None:
        """Queue one more attempt of an interrupt's webhook (original webhook-id); RateLimited within the gap."""
        outbox = keys.outbox(keys.partition_of(interrupt_id))
        wait_ms = await self._redeliver(
            keys=[keys.redelivery_limit(interrupt_id), outbox], args=[interrupt_id, version, REDELIVERY_GAP_MS]
        )
        if wait_ms:
            seconds = -(-int(wait_ms) // 1000)
            raise RateLimited(f"a redelivery of this interrupt was queued moments ago; retry in {seconds} s",
                              retry_after_s=seconds)  # fmt: skip

    @translated
    async def load_many(self, items: list[tuple[str, str]]) -> list[tuple[Interrupt | Loop | None, list[Attempt]]]:
        """`load` for many (kind, id) pairs in one pipeline."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for kind, subject_id in items:
                pipe.hgetall(keys.loop(subject_id) if kind == "loop" else keys.interrupt(subject_id))
                pipe.lrange(keys.attempts(subject_id), 0, -1)
            replies = await pipe.execute()
        found: list[tuple[Interrupt | Loop | None, list[Attempt]]] = []
        for (kind, subject_id), fields, rows in zip(items, replies[0::2], replies[1::2], strict=True):
            record: Interrupt | Loop | None = None
            if fields:
                record = loop_from_hash(subject_id, fields) if kind == "loop" else from_hash(subject_id, fields)
            found.append((record, [_attempt_decoder.decode(row) for row in rows]))
        return found

    @translated
    async def record_many(self, items: list[tuple[str, Attempt, str | None]]) -> None:
        """`record` for many attempts in one transaction (group commit; on a cluster one per partition)."""
        commands: list[partitions.Command] = []
        for subject_id, attempt, _ in items:
            partition, log = keys.partition_of(subject_id), keys.attempts(subject_id)
            commands += [(partition, ("RPUSH", log, _encoder.encode(attempt))),
                         (partition, ("PEXPIRE", log, self._retention))]  # fmt: skip
            if attempt.state == "delivered":
                commands.append((partition, ("ZREM", keys.failed_deliveries(partition), subject_id)))
            elif attempt.state == "failed":
                commands.append((partition, ("ZADD", keys.failed_deliveries(partition), attempt.at, subject_id)))
        commands += _acked([ack for _, _, ack in items if ack is not None])  # after the attempts they acknowledge
        counts = Counter((keys.partition_of(subject_id), attempt.state) for subject_id, attempt, _ in items)
        for (partition, state), count in counts.items():
            commands.append((partition, ("HINCRBY", keys.metrics(partition), f"webhook:{state}", count)))
        await self._transact.run(commands)

    @translated
    async def attempts(self, interrupt_id: str) -> list[Attempt]:
        """Every recorded attempt of an interrupt's webhook, oldest first."""
        rows = cast(list[str], await self._redis.lrange(keys.attempts(interrupt_id), 0, -1))
        return [_attempt_decoder.decode(row) for row in rows]

    @translated
    async def last_attempts(self, interrupt_ids: list[str]) -> list[Attempt | None]:
        """The latest attempt of each interrupt's webhook (None where the log is gone)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for interrupt_id in interrupt_ids:
                pipe.lindex(keys.attempts(interrupt_id), -1)
            rows = await pipe.execute()
        return [_attempt_decoder.decode(row) if row else None for row in rows]

    @translated
    async def failed(self, *, limit: int, cursor: str | None) -> tuple[list[tuple[str, int]], str | None]:
        """A page of (subject id, failed at ms) of failed deliveries, newest first, and the next page's cursor."""
        score, after = paging.decode_cursor(cursor)
        pages: list[list[str]] = await asyncio.gather(  # each partition's next page, then the newest of them all
            *(self._page(keys=[keys.failed_deliveries(p)], args=[score, after, limit]) for p in range(keys.PARTITIONS))
        )  # concurrent calls, not a pipeline: redis-py's cluster pipelines refuse scripts
        rows = [(row[i], row[i + 1]) for row in pages for i in range(0, len(row), 2)]
        rows.sort(key=lambda r: (float(r[1]), r[0]), reverse=True)  # every page's order: score, then id, descending
        page, next_cursor = paging.split(rows[: limit + 1], limit)
        return [(subject_id, int(float(at))) for subject_id, at in page], next_cursor

    @translated
    async def forget_failed_before(self, cutoff_ms: int) -> int:
        """Drop failed-index entries older than retention (their records are gone)."""
        removed = await partitions.each(self._redis, "ZREMRANGEBYSCORE", keys.failed_deliveries, "-inf", cutoff_ms)
        return sum(removed)

    async def secret(self) -> str:
        """The generated signing secret: made once (first caller wins) and kept in Redis."""
        return await kept_secret(self._redis, keys.webhook_secret(), prefix="whsec_")
