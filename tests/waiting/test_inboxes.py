"""Inbox sources: every feed of a user in a process shares one watcher, which reads once per change."""

import asyncio
from collections.abc import AsyncGenerator

import msgspec
import pytest
from redis.asyncio import Redis

from service.clock import FrozenClock
from service.domain.models import Interrupt, NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from service.waiting.hub import WaiterHub
from service.waiting.inboxes import InboxSources
from service.waiting.streams import Frame

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=3_600_000)


class CountingStore(InterruptStore):
    """The real store, counting reads of the pending index (and failing them on demand)."""

    reads = 0
    failing = False

    async def newest_pending_ids(self, user_id: str, limit: int) -> list[str]:
        self.reads += 1
        if self.failing:
            raise ConnectionError("redis is down")
        return await super().newest_pending_ids(user_id, limit)


async def next_list(frames: AsyncGenerator[Frame[list[Interrupt]], None]) -> list[Interrupt]:
    """The next list a feed gets (skipping pings)."""
    async for frame in frames:
        if frame.record is not None:
            return frame.record
    raise AssertionError("the feed ended")


@pytest.mark.timeout(30)
async def test_many_feeds_of_one_user_cost_one_watcher(redis: Redis, user_id: str) -> None:
    hub = WaiterHub()  # fed by hand below, as the pub/sub feed would
    store = CountingStore(redis, FrozenClock(), retention_ms=60_000)
    sources = InboxSources(hub, store, FrozenClock(), ping_s=30, min_gap_s=0)
    feeds = [sources.frames(user_id) for _ in range(20)]
    assert await asyncio.gather(*(next_list(f) for f in feeds)) == [[]] * 20
    first_reads = store.reads
    created = await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    hub.notify(keys.user_topic(user_id))
    lists = await asyncio.gather(*(next_list(f) for f in feeds))
    assert all([r.id for r in listed] == [created.id] for listed in lists)
    assert first_reads <= 2 and store.reads - first_reads <= 2  # per change: one read (and one after a new key)
    assert hub.open_waiters == 1  # one registration with the hub for all twenty feeds
    watchers = [t for t in asyncio.all_tasks() if t.get_name() == "interlock-inbox"]
    assert len(watchers) == 1  # one watcher for all twenty feeds
    for feed in feeds:
        await feed.aclose()
    await asyncio.wait(watchers, timeout=5)
    assert hub.open_waiters == 0  # the last feed gone, the watcher stopped


@pytest.mark.timeout(30)
async def test_a_failing_read_ends_every_feed_and_the_next_feed_starts_afresh(redis: Redis, user_id: str) -> None:
    hub = WaiterHub()
    store = CountingStore(redis, FrozenClock(), retention_ms=60_000)
    sources = InboxSources(hub, store, FrozenClock(), ping_s=30, min_gap_s=0)
    feeds = [sources.frames(user_id) for _ in range(3)]
    await asyncio.gather(*(next_list(f) for f in feeds))
    store.failing = True
    hub.notify(keys.user_topic(user_id))
    for feed in feeds:
        with pytest.raises(ConnectionError):
            await next_list(feed)
    store.failing = False
    assert await next_list(sources.frames(user_id)) == []  # a new source, reading again


@pytest.mark.timeout(30)
async def test_each_new_list_is_prepared_before_its_feeds_see_it(redis: Redis, user_id: str) -> None:
    hub = WaiterHub()
    store = InterruptStore(redis, FrozenClock(), retention_ms=60_000)
    prepared: list[list[str]] = []

    async def prepare(records: list[Interrupt]) -> None:
        await asyncio.sleep(0)  # a preparation that gives up the loop, as rendering in batches does
        prepared.append([r.id for r in records])

    sources = InboxSources(hub, store, FrozenClock(), ping_s=30, min_gap_s=0, prepare=prepare)
    feed = sources.frames(user_id)
    assert await next_list(feed) == [] and prepared == [[]]
    created = await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    hub.notify(keys.user_topic(user_id))
    listed = await next_list(feed)
    assert [r.id for r in listed] == [created.id] and prepared[-1] == [created.id]
    await feed.aclose()
