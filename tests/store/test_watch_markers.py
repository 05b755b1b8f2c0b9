"""Transitions publish a record's change only while some process has marked it watched."""

import asyncio

import msgspec
import pytest
from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.loops import NewLoop
from service.domain.models import Decision, NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.watching import WatchMarkers
from tests.clients import heard_before_markers

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=60_000)


@pytest.mark.timeout(30)
async def test_decides_publish_only_on_watched_interrupts(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=60_000)
    quiet, watched = [await store.create(msgspec.structs.replace(NEW, user_id=user_id)) for _ in range(2)]
    await WatchMarkers(redis).mark([watched.id], 10_000)
    channels = [keys.channel(quiet.id), keys.channel(watched.id)]
    async with redis.pubsub() as pubsub:
        await pubsub.ssubscribe(*channels)
        await store.decide(quiet.id, Decision(decision="approved"))
        await store.cancel(watched.id)
        # both channels' messages, up to a marker sent on each after both transitions
        assert await heard_before_markers(pubsub, redis, channels) == ["2 cancelled"]


@pytest.mark.timeout(30)
async def test_loop_resolves_publish_only_on_watched_loops(redis: Redis) -> None:
    store = LoopStore(redis, SystemClock(), retention_ms=60_000)
    new = NewLoop(name="n", description="", participants=("a@x.io", "b@x.io"), timeout_ms=60_000)
    quiet, watched = await asyncio.gather(store.create(new), store.create(new))
    await WatchMarkers(redis).mark([watched.id], 10_000)
    channels = [keys.channel(quiet.id), keys.channel(watched.id)]
    async with redis.pubsub() as pubsub:
        await pubsub.ssubscribe(*channels)
        await store.resolve(quiet.promise_ids[0], True)
        await store.resolve(watched.promise_ids[0], True)
        assert await heard_before_markers(pubsub, redis, channels) == ["PENDING"]


@pytest.mark.timeout(30)
async def test_a_marker_is_extended_but_never_shortened(redis: Redis) -> None:
    markers, key = WatchMarkers(redis), "some-id"
    await markers.mark([key], 60_000)
    await markers.mark([key], 1_000)  # a shorter wait of another process
    assert await redis.pttl(keys.watched(key)) > 50_000
    await markers.mark([key], 120_000)
    assert await redis.pttl(keys.watched(key)) > 110_000
    await markers.mark([], 1_000)  # nothing to mark: no call
