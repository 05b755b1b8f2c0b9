"""The loop store: create, read, resolve and expire loops, one Lua script per transition."""

from typing import Any, cast

import msgspec

from service.clock import Clock
from service.domain import loops
from service.domain.errors import LoopNotFound, PromiseConflict, PromiseNotFound
from service.domain.loops import Loop, NewLoop, Participant
from service.store import keys, partitions
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.idempotency import IdempotencyRecords, fingerprint
from service.store.ids import is_valid_id, new_id
from service.store.scripts import source

_WHY = {
    "resolved": "Promise was already resolved with accept={accept}",
    "timedout": "Promise timed out before it was resolved",
    "ended": "Loop already ended as {status}: this promise was closed",
}


class LoopCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A created (or replayed) loop: its id and the promise ids in participant order."""

    id: str
    promise_ids: tuple[str, ...]
    replayed: bool = False


class Resolved(msgspec.Struct, frozen=True, kw_only=True):
    """A resolve that took effect (or repeated the same decision)."""

    promise_id: str
    loop_id: str
    loop_status: str


class LoopStore:
    """Reads and atomic transitions of loops in Redis."""

    def __init__(self, redis: AnyRedis, clock: Clock, *, retention_ms: int) -> None:
        self._redis = redis
        self._clock = clock
        self._retention = retention_ms
        self._create = redis.register_script(source("loop_create"))
        self._resolve = redis.register_script(source("loop_resolve"))
        self._expire = redis.register_script(source("loop_expire"))
        self._mark = redis.register_script(source("loop_mark"))
        self._idempotency = IdempotencyRecords(redis, retention_ms=retention_ms)

    @translated
    async def create(
        self, new: NewLoop, *, idempotency: tuple[str, str] | None = None, invite: bool = False
    ) -> LoopCreated:
        """Store a new pending loop (queueing email invitations with `invite`); replay an identical create."""
        loop_id = new_id()
        partition = keys.partition_of(loop_id)
        promise_ids = tuple(new_id(partition) for _ in new.participants)
        now = self._clock.now_ms()
        if idempotency:
            seen = await self._idempotency.claim(idempotency, fingerprint(new), " ".join((loop_id, *promise_ids)))
            if seen is not None:  # an identical create came first: its ids, made now if it was lost
                loop_id, *others = seen.split(" ")
                promise_ids = tuple(others)
                partition = keys.partition_of(loop_id)
        reply = await self._create(
            keys=[
                keys.loop(loop_id),
                keys.loop_deadlines(partition),
                keys.outbox(partition),
                *(keys.promise(p) for p in promise_ids),
            ],
            args=[
                loop_id,
                new.name,
                new.description,
                new.timeout_ms,
                new.policy,
                loops.quorum(new.policy, len(new.participants)),
                now,
                now + new.timeout_ms,
                self._retention,
                "1" if idempotency else "",
                new.callback_url or "",
                "1" if invite else "0",
                *new.participants,
                *promise_ids,
            ],
        )
        return LoopCreated(id=loop_id, promise_ids=promise_ids, replayed=reply[0] == "exists")

    @translated
    async def get(self, loop_id: str) -> Loop:
        """Read one loop as stored (callers apply the deadline with `Loop.at`)."""
        if not is_valid_id(loop_id):
            raise LoopNotFound()
        fields = cast(dict[str, str], await self._redis.hgetall(keys.loop(loop_id)))
        if not fields:
            raise LoopNotFound()
        return loop_from_hash(loop_id, fields)

    @translated
    async def locate(self, promise_id: str) -> tuple[str, int]:
        """The (loop id, participant index) of a promise; PromiseNotFound when unknown."""
        found = cast(str | None, await self._redis.get(keys.promise(promise_id))) if is_valid_id(promise_id) else None
        if not found:
            raise PromiseNotFound()
        loop_id, index = found.split(" ")
        return loop_id, int(index)

    @translated
    async def resolve(self, promise_id: str, accept: bool) -> Resolved:
        """Record one participant's decision in one round trip; the same again is accepted, anything else 409."""
        if not is_valid_id(promise_id):
            raise PromiseNotFound()
        partition = keys.partition_of(promise_id)
        reply: list[Any] = await self._resolve(
            keys=[keys.promise(promise_id), keys.loop_deadlines(partition), keys.outbox(partition)],
            args=["1" if accept else "0", self._clock.now_ms(), self._retention, keys.base(partition)],
        )
        if reply[0] == "missing":
            raise PromiseNotFound()
        if reply[0] == "conflict":
            earlier = "true" if reply[2] == "1" else "false"
            raise PromiseConflict(_WHY[reply[1]].format(accept=earlier, status=reply[3]))
        return Resolved(promise_id=promise_id, loop_id=reply[2], loop_status=reply[1])

    @translated
    async def expire(self, loop_id: str) -> bool:
        """Time out a pending loop past its deadline; True when this call ended it."""
        reply = await self._expire(
            keys=[
                keys.loop(loop_id),
                *(key(keys.partition_of(loop_id)) for key in (keys.loop_deadlines, keys.outbox)),
                keys.watched(loop_id),
            ],
            args=[loop_id, self._clock.now_ms(), self._retention, keys.channel(loop_id)],
        )
        return bool(reply[0] == "ok")

    @translated
    async def mark_invitation(self, loop_id: str, index: int, state: str, attempts: int) -> bool:
        """Record participant `index`'s invitation state; False when the loop is gone."""
        done = await self._mark(keys=[keys.loop(loop_id)], args=[index, state, attempts])
        return bool(done)

    @translated
    async def due(self, now_ms: int, *, limit: int) -> list[str]:
        """Ids of pending loops whose deadline is at or before `now_ms`."""
        return await partitions.due(self._redis, keys.loop_deadlines, now_ms, limit)

    @translated
    async def next_deadline(self) -> int | None:
        """The earliest loop deadline still in the index (ms), or None."""
        return await partitions.earliest(self._redis, keys.loop_deadlines)


def loop_from_hash(loop_id: str, f: dict[str, str]) -> Loop:
    """Build a Loop from its stored hash."""
    n = int(f["n"])
    participants = tuple(
        Participant(
            email=f[f"e{i}"],
            promise_id=f[f"p{i}"],
            state=f[f"s{i}"],
            accept=None if f[f"a{i}"] == "" else f[f"a{i}"] == "1",
            decided_at=int(f[f"d{i}"]) if f.get(f"d{i}") else None,
            invitation=f.get(f"m{i}"),
            invitation_attempts=int(f.get(f"mn{i}", "0")),
        )
        for i in range(n)
    )
    status = f["status"]
    k = loops.quorum(f["policy"], n)
    return Loop(
        id=loop_id,
        name=f["name"],
        description=f["description"],
        timeout_ms=int(f["timeout"]),
        policy=f["policy"],
        status=status,
        message=loops.message(f["policy"], k, status, f.get("cause", "")) if status != loops.PENDING else None,
        created_at=int(f["createdAt"]),
        deadline=int(f["deadline"]),
        version=int(f["v"]),
        participants=participants,
        callback_url=f.get("callbackUrl"),
    )
