"""nudge.lua on a real server: each due time is acted on once however many sweeps race, missed ones collapse."""

import asyncio

import msgspec
from redis.asyncio import Redis

from service.api.schemas import decode_create
from service.clock import FrozenClock
from service.store import keys
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from service.store.nudges import Nudged, NudgeStore


async def created(redis: Redis, clock: FrozenClock, user_id: str, **extra: object) -> str:
    body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}, "reviewers": ["r@example.com"]} | extra
    made = await InterruptStore(redis, clock, retention_ms=60_000).create(decode_create(msgspec.json.encode(body)))
    return made.id


async def test_twenty_sweeps_racing_one_due_time_send_it_once(redis: Redis, clock: FrozenClock, user_id: str) -> None:
    interrupt_id = await created(redis, clock, user_id, remindEvery=60)
    sweeps = [NudgeStore(redis, clock) for _ in range(20)]
    assert await sweeps[0].expire(interrupt_id) is None  # not due yet
    clock.advance(60_000)
    outcomes = await asyncio.gather(*(s.expire(interrupt_id) for s in sweeps))
    assert [o for o in outcomes if o is not None] == [Nudged(reminder=1, first_added=-1)]
    record = await InterruptStore(redis, clock, retention_ms=60_000).get(interrupt_id)
    assert await redis.zscore(keys.nudges(keys.partition_of(interrupt_id)), interrupt_id) == record.created_at + 120_000


async def test_reminders_missed_while_no_worker_ran_are_sent_as_one(redis: Redis, clock: FrozenClock,
                                                                   user_id: str) -> None:  # fmt: skip
    interrupt_id = await created(redis, clock, user_id, remindEvery=60, escalateAfter=90, escalateTo=["e@example.com",
                                 "R@example.com"])  # fmt: skip
    clock.advance(5 * 60_000 + 1)
    sweep = NudgeStore(redis, clock)
    assert await sweep.expire(interrupt_id) == Nudged(reminder=5, first_added=1)
    assert await sweep.expire(interrupt_id) is None
    record = await InterruptStore(redis, clock, retention_ms=60_000).get(interrupt_id)
    assert record.reviewers == ("r@example.com", "e@example.com")
    marks = await redis.hmget(keys.interrupt(interrupt_id), ["reminded", "escalated"])
    assert marks == ["5", str(clock.now_ms())]
    events = [(e.event, e.detail) for e in await HistoryStore(redis).read(interrupt_id)]
    assert events[-2:] == [("escalated", {"added": ["e@example.com"]}), ("reminder", {"reminder": 5})]


async def test_nothing_is_due_after_the_deadline(redis: Redis, clock: FrozenClock, user_id: str) -> None:
    interrupt_id = await created(redis, clock, user_id, remindEvery=60, expiresIn=100)
    clock.advance(60_000)
    sweep = NudgeStore(redis, clock)
    assert await sweep.expire(interrupt_id) == Nudged(reminder=1, first_added=-1)
    assert (
        await redis.zscore(keys.nudges(keys.partition_of(interrupt_id)), interrupt_id) is None
    )  # the next (120 s) is past the deadline (100 s)
