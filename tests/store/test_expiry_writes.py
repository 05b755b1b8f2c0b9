"""Expiries that creates and transitions write: only what is needed, so each costs Redis and its AOF less."""

import time

import msgspec
import pytest
from redis.asyncio import Redis

from service.clock import FrozenClock
from service.domain.models import Decision, NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from worker.deadlines import SWEEP_EVERY_S

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=3_600_000)
USER_KEYS = (keys.user_pending, keys.user_stats, keys.user_actions)


def test_the_fast_path_covers_every_deadline_the_sweep_could_sleep_past() -> None:
    assert keys.FAST_EXPIRY_HORIZON_MS >= SWEEP_EVERY_S * 1000


@pytest.mark.timeout(30)
async def test_only_near_deadlines_get_a_keyspace_notification_key(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, FrozenClock(), retention_ms=60_000)
    far = await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    near = await store.create(msgspec.structs.replace(NEW, user_id=user_id, expires_in_ms=400))
    assert not await redis.exists(keys.deadline_ttl(far.id))
    assert 0 < await redis.pttl(keys.deadline_ttl(near.id)) <= 400
    assert (
        await redis.zscore(keys.deadlines(keys.partition_of(far.id)), far.id) == far.expires_at
    )  # the sweep's guarantee, for both
    assert await redis.zscore(keys.deadlines(keys.partition_of(near.id)), near.id) == near.expires_at


@pytest.mark.timeout(30)
async def test_user_index_expiries_are_set_once_then_left_alone_for_a_day(redis: Redis, user_id: str) -> None:
    clock = FrozenClock()
    store = InterruptStore(redis, clock, retention_ms=60_000)
    first = await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    user_keys = [make(user_id) for make in USER_KEYS]
    set_at = [await redis.pexpiretime(key) for key in user_keys]
    assert all(t > time.time() * 1000 + 30 * 86_400_000 for t in set_at)  # outlive the longest deadline

    clock.advance(1_000)  # later writes keep the expiries (no write to the AOF for them)
    await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    await store.decide(first.id, Decision(decision="approved"))
    assert [await redis.pexpiretime(key) for key in user_keys] == set_at

    for key in user_keys:  # as if more than a day had passed on the server's clock
        await redis.pexpire(key, await redis.pttl(key) - 2 * 86_400_000)
    await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    refreshed = [await redis.pexpiretime(key) for key in user_keys]
    assert all(new >= old for new, old in zip(refreshed, set_at, strict=True))
