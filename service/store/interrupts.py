"""The interrupt store: every read and transition of interrupts, one Lua script per transition."""

import contextlib
from collections.abc import Callable
from typing import Any, cast

import msgspec

from service.clock import Clock
from service.domain import machine
from service.domain.errors import (
    AlreadyDecided,
    CannotCancel,
    InterlockError,
    InterruptNotFound,
    InvalidField,
    InvalidResponse,
)
from service.domain.models import API_ANONYMOUS, Actor, Analytics, Decision, Interrupt, NewInterrupt, PendingPage
from service.store import keys, paging, partitions
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.idempotency import IdempotencyRecords, fingerprint
from service.store.ids import is_valid_id, new_id
from service.store.interrupt_calls import create_args, create_keys, decide_args, transition_args, transition_keys
from service.store.records import conflict_current, from_hash
from service.store.schema_memo import SchemaMemo
from service.store.scripts import Scripts

_MAX_EXPIRY_MS = 2_592_000_000
ResponseCheck = Callable[[str, Decision], Decision]  # a decision checked against a responseSchema text


class Created(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of a create: the interrupt's id and deadline, and whether it was a replay."""

    id: str
    expires_at: int
    replayed: bool = False


class Transitioned(msgspec.Struct, frozen=True, kw_only=True):
    """A transition that took effect."""

    id: str
    status: str
    version: int
    decided_at: int | None = None


class InterruptStore:
    """Reads and atomic transitions of interrupts in Redis."""

    def __init__(self, redis: AnyRedis, clock: Clock, *, retention_ms: int, check: ResponseCheck | None = None) -> None:
        self._redis = redis
        self._clock = clock
        self._retention = retention_ms
        self._user_ttl = retention_ms + _MAX_EXPIRY_MS + 86_400_000  # user indexes outlive any pending + retention
        self._scripts = Scripts.register(redis)
        self._idempotency = IdempotencyRecords(redis, retention_ms=retention_ms)
        self._schemas = SchemaMemo()
        self._check = check  # how a typed answer is checked (answers.checked_decision); None: never decides one

    @translated
    async def create(
        self, new: NewInterrupt, *, actor: Actor = API_ANONYMOUS, idempotency: tuple[str, str] | None = None
    ) -> Created:
        """Store a new pending interrupt made by `actor`; with (scope, key), replay an earlier identical create."""
        interrupt_id = new_id(keys.user_partition(new.user_id))
        now = self._clock.now_ms()
        expires_at = now + new.expires_in_ms
        if idempotency:
            seen = await self._idempotency.claim(idempotency, fingerprint(new), f"{interrupt_id} {expires_at}")
            if seen is not None:  # an identical create came first: its ids, made now if it was lost
                interrupt_id, expiry = seen.split(" ")
                expires_at = int(expiry)
        reply = await self._scripts.create(
            keys=create_keys(interrupt_id, new.user_id),
            args=create_args(
                new,
                interrupt_id,
                (now, expires_at, self._retention, self._user_ttl),
                actor,
                guarded=idempotency is not None,
            ),
        )
        if reply[0] == "exists":
            return Created(id=interrupt_id, expires_at=expires_at, replayed=True)
        self._schemas.remember(interrupt_id, new.response_schema)
        return Created(id=interrupt_id, expires_at=expires_at)

    @translated
    async def get(self, interrupt_id: str) -> Interrupt:
        """Read one interrupt (status as stored; callers apply the deadline with `status_at`)."""
        if not is_valid_id(interrupt_id):
            raise InterruptNotFound()
        fields = cast(dict[str, str], await self._redis.hgetall(keys.interrupt(interrupt_id)))
        if not fields:
            raise InterruptNotFound()
        return self._seen(from_hash(interrupt_id, fields))

    @translated
    async def decide(self, interrupt_id: str, decision: Decision) -> Transitioned:
        """Record a decision exactly once; raise AlreadyDecided (with the winner) otherwise.

        An interrupt with a responseSchema takes only a decision checked against it (proven by the
        schema's digest): checked first against the schema this process knows or guesses (a failure
        is not raised yet, so a terminal interrupt still answers 409 first), else the script hands
        the schema back and the checked decision is sent again. A store made without `check` cannot.
        """
        check = self._check
        known = self._schemas.likely(interrupt_id, answered=decision.response is not None)
        if known is not None and check is not None and decision.schema_sha is None:
            with contextlib.suppress(InvalidResponse):
                decision = check(known, decision)
        reply = await self._transition(self._scripts.decide, interrupt_id, decide_args(decision))
        if reply[0] == "schema":
            if check is None:
                raise InterlockError(f"{interrupt_id} has a responseSchema and this store cannot check one")
            self._schemas.remember(interrupt_id, reply[1])
            decision = check(reply[1], decision)
            reply = await self._transition(self._scripts.decide, interrupt_id, decide_args(decision))
        if reply[0] == "unasked":
            raise InvalidField("response is taken only by an interrupt created with a responseSchema", field="response")
        if reply[0] == "conflict":
            raise AlreadyDecided(reply[1], conflict_current(interrupt_id, reply))
        if reply[0] != "ok":
            raise InterlockError(f"decide of {interrupt_id} was answered {reply[0]!r}")
        return Transitioned(id=interrupt_id, status=reply[1], version=int(reply[2]), decided_at=int(reply[3]))

    @translated
    async def cancel(self, interrupt_id: str, actor: Actor = API_ANONYMOUS) -> Transitioned:
        """Cancel a pending interrupt on behalf of `actor`; raise CannotCancel when it is terminal."""
        reply = await self._transition(self._scripts.cancel, interrupt_id, [actor.by or "", actor.via])
        if reply[0] == "conflict":
            raise CannotCancel(reply[1], conflict_current(interrupt_id, reply))
        return Transitioned(id=interrupt_id, status=reply[1], version=int(reply[2]))

    @translated
    async def expire(self, interrupt_id: str) -> Transitioned | None:
        """Expire a pending interrupt whose deadline has passed; None when there was nothing to do."""
        try:
            reply = await self._transition(self._scripts.expire, interrupt_id, [])
        except InterruptNotFound:
            return None
        if reply[0] != "ok":
            return None
        return Transitioned(id=interrupt_id, status=reply[1], version=int(reply[2]))

    @translated
    async def due(self, now_ms: int, *, limit: int) -> list[str]:
        """Ids of interrupts whose deadline is at or before `now_ms` (oldest first), from the deadline index."""
        return await partitions.due(self._redis, keys.deadlines, now_ms, limit)

    @translated
    async def next_deadline(self) -> int | None:
        """The earliest deadline still in the index (ms), or None when nothing is pending."""
        return await partitions.earliest(self._redis, keys.deadlines)

    @translated
    async def service_counters(self) -> dict[str, int]:
        """The service-wide counters the transition scripts keep (for /metrics)."""
        return await partitions.summed(self._redis, keys.metrics)

    async def _transition(self, script: Any, interrupt_id: str, extra: list[str]) -> list[Any]:
        if not is_valid_id(interrupt_id):
            raise InterruptNotFound()
        times = (self._clock.now_ms(), self._retention, self._user_ttl)
        reply: list[Any] = await script(  # the script finds the user's keys from the hash: one round trip
            keys=transition_keys(interrupt_id), args=transition_args(interrupt_id, times, extra)
        )
        if reply[0] == "missing":
            raise InterruptNotFound()
        return reply

    @translated
    async def pending(self, user_id: str, *, limit: int, cursor: str | None) -> PendingPage:
        """One page of the user's pending interrupts (not past deadline), newest first."""
        score, after = paging.decode_cursor(cursor)
        rows: list[list[str]] = await self._scripts.pending_read(
            keys=[keys.user_pending(user_id)], args=[score, after, limit, keys.base(keys.user_partition(user_id))]
        )
        ids, flat = rows[0], rows[1:]
        page, next_cursor = paging.split(list(zip(ids[0::2], ids[1::2], strict=True)), limit)
        now = self._clock.now_ms()
        hashes = [dict(zip(f[0::2], f[1::2], strict=True)) for f in flat]
        records = [self._seen(from_hash(i, h)) for (i, _), h in zip(page, hashes, strict=True) if h]
        items = [it for it in records if it.status_at(now) == machine.PENDING]
        return PendingPage(items=items, next_cursor=next_cursor)

    @translated
    async def newest_pending_ids(self, user_id: str, limit: int) -> list[str]:
        """The ids of the user's newest `limit` pending interrupts, newest first (ids only: one cheap call)."""
        ids = cast(list[str], await self._redis.zrange(keys.user_pending(user_id), 0, limit - 1, desc=True))
        return ids

    @translated
    async def get_many(self, interrupt_ids: list[str]) -> list[Interrupt]:
        """The interrupts of `interrupt_ids` that still exist, in that order, in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for interrupt_id in interrupt_ids:
                pipe.hgetall(keys.interrupt(interrupt_id))
            rows: list[dict[str, str]] = await pipe.execute()
        return [self._seen(from_hash(i, fields)) for i, fields in zip(interrupt_ids, rows, strict=True) if fields]

    def _seen(self, record: Interrupt) -> Interrupt:
        """`record`, its schema remembered (SchemaMemo)."""
        self._schemas.remember(record.id, record.response_schema)
        return record

    @translated
    async def analytics(self, user_id: str) -> Analytics:
        """A user's counters, read in O(1) of the number of stored interrupts."""
        stats_flat, top_flat = await self._scripts.analytics(
            keys=[keys.user_stats(user_id), keys.user_actions(user_id)]
        )
        stats = {k: int(v) for k, v in zip(stats_flat[0::2], stats_flat[1::2], strict=True)}
        top = sorted(
            ((a, int(float(c))) for a, c in zip(top_flat[0::2], top_flat[1::2], strict=True)),
            key=lambda item: (-item[1], item[0]),
        )
        return Analytics(
            total=sum(stats.get(f"s:{s}", 0) for s in machine.STATUSES),
            by_status={s: stats.get(f"s:{s}", 0) for s in machine.STATUSES if stats.get(f"s:{s}", 0) > 0},
            by_urgency={u: stats.get(f"u:{u}", 0) for u in machine.URGENCIES if stats.get(f"u:{u}", 0) > 0},
            decided_count=stats.get("dn", 0),
            decided_ms_sum=stats.get("dms", 0),
            top_actions=top[:5],
        )
