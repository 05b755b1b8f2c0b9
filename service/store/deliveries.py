"""Webhook bookkeeping in Redis: the outbox stream and its consumer group, the attempt log, failures, the secret."""

from collections import Counter
from typing import Any, cast

import msgspec
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from service.domain.errors import RateLimited
from service.domain.loops import Loop
from service.domain.models import Attempt, Interrupt, OutboxEntry
from service.store import keys, paging
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


def _entries(rows: list[Any]) -> list[OutboxEntry]:
    """Outbox entries from XREADGROUP/XAUTOCLAIM rows of (entry id, fields)."""
    found = []
    for entry_id, fields in rows:
        if fields:  # a deleted entry still pending in the group comes back without fields
            found.append(
                OutboxEntry(
                    entry_id=entry_id,
                    subject_id=fields["id"],
                    version=int(fields["v"]),
                    manual="r" in fields,
                    kind=fields.get("k", "interrupt"),
                    number=int(fields.get("n", 0)),
                )
            )
    return found


class DeliveryStore:
    """The outbox consumer group, the per-interrupt attempt log and the failed-delivery index."""

    def __init__(self, redis: Redis, *, retention_ms: int) -> None:
        self._redis = redis
        self._retention = retention_ms
        self._page = redis.register_script(source("newest_page"))  # pages the failed-delivery index, newest first
        self._redeliver = redis.register_script(source("redeliver"))

    @translated
    async def ensure_group(self) -> None:
        """Create the workers' consumer group from the stream's start (entries written before any worker ran count)."""
        try:
            await self._redis.xgroup_create(keys.outbox(), GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @translated
    async def read(self, consumer: str, *, count: int, block_ms: int) -> list[OutboxEntry]:
        """New entries for `consumer`, waiting up to `block_ms` for the first one."""
        try:
            reply = cast(
                list[Any],
                await self._redis.xreadgroup(GROUP, consumer, {keys.outbox(): ">"}, count=count, block=block_ms),
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()  # the stream or group was deleted (FLUSHDB, a restore): make it again
            return []
        return _entries(reply[0][1]) if reply else []

    @translated
    async def claim_stale(
        self, consumer: str, *, min_idle_ms: int, count: int, now_ms: int, max_deliveries: int = MAX_DELIVERIES
    ) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
        """Take over entries another consumer read but never acknowledged (it died mid-delivery).

        (entries to try again, entries given up on): an entry read more than `max_deliveries` times
        fails for a reason that will not go away; it is acknowledged, and a webhook's interrupt or loop
        is put in the failed list, instead of crash-looping every worker for ever.
        """
        reply = await self._redis.xautoclaim(keys.outbox(), GROUP, consumer, min_idle_ms, "0-0", count=count)
        entries = _entries(reply[1])
        if not entries:
            return [], []
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.xpending_range(keys.outbox(), GROUP, min=entry.entry_id, max=entry.entry_id, count=1)
            pending = await pipe.execute()
        tries = [rows[0]["times_delivered"] if rows else 0 for rows in pending]
        retry = [e for e, n in zip(entries, tries, strict=True) if n <= max_deliveries]
        poisoned = [e for e, n in zip(entries, tries, strict=True) if n > max_deliveries]
        if poisoned:
            await self._give_up(poisoned, now_ms)
        return retry, poisoned

    async def _give_up(self, entries: list[OutboxEntry], now_ms: int) -> None:
        """Acknowledge entries that keep failing; their webhooks go to the failed list (mails stay as last marked)."""
        failed = {e.subject_id: now_ms for e in entries if e.kind in ("interrupt", "loop")}
        async with self._redis.pipeline(transaction=True) as pipe:
            if failed:
                pipe.zadd(keys.failed_deliveries(), failed)
            ids = [e.entry_id for e in entries]
            pipe.xack(keys.outbox(), GROUP, *ids)
            pipe.xdel(keys.outbox(), *ids)
            await pipe.execute()

    @translated
    async def ack(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries (the stream only holds work not yet done)."""
        if entry_ids:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xack(keys.outbox(), GROUP, *entry_ids)
                pipe.xdel(keys.outbox(), *entry_ids)
                await pipe.execute()

    @translated
    async def enqueue_redelivery(self, interrupt_id: str, version: int) -> None:
        """Queue one more attempt of an interrupt's webhook (original webhook-id); RateLimited within the gap."""
        wait_ms = await self._redeliver(
            keys=[keys.redelivery_limit(interrupt_id), keys.outbox()], args=[interrupt_id, version, REDELIVERY_GAP_MS]
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
        """`record` for many attempts in one transaction (group commit)."""
        acks = [ack for _, _, ack in items if ack is not None]
        delivered = [interrupt_id for interrupt_id, attempt, _ in items if attempt.state == "delivered"]
        failed = {interrupt_id: attempt.at for interrupt_id, attempt, _ in items if attempt.state == "failed"}
        async with self._redis.pipeline(transaction=True) as pipe:
            for interrupt_id, attempt, _ in items:
                pipe.rpush(keys.attempts(interrupt_id), _encoder.encode(attempt))
                pipe.pexpire(keys.attempts(interrupt_id), self._retention)
            if acks:  # one command for the whole batch: fewer replies to read back
                pipe.xack(keys.outbox(), GROUP, *acks)
                pipe.xdel(keys.outbox(), *acks)
            if delivered:
                pipe.zrem(keys.failed_deliveries(), *delivered)
            if failed:
                pipe.zadd(keys.failed_deliveries(), failed)
            for state, count in Counter(attempt.state for _, attempt, _ in items).items():
                pipe.hincrby(keys.metrics(), f"webhook:{state}", count)
            await pipe.execute()

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
        rows: list[str] = await self._page(keys=[keys.failed_deliveries()], args=[score, after, limit])
        page, next_cursor = paging.split(list(zip(rows[0::2], rows[1::2], strict=True)), limit)
        return [(subject_id, int(float(at))) for subject_id, at in page], next_cursor

    @translated
    async def forget_failed_before(self, cutoff_ms: int) -> int:
        """Drop failed-index entries older than retention (their records are gone)."""
        removed: int = await self._redis.zremrangebyscore(keys.failed_deliveries(), "-inf", cutoff_ms)
        return removed

    async def secret(self) -> str:
        """The generated signing secret: made once (first caller wins) and kept in Redis."""
        return await kept_secret(self._redis, keys.webhook_secret(), prefix="whsec_")
