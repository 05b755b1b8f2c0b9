"""What can be waited on: an inbox read once per record, an interrupt's version as a reader sees it."""

import msgspec
import pytest
from redis.asyncio import Redis

from service.clock import FrozenClock
from service.domain.models import Decision, Interrupt, NewInterrupt
from service.store.interrupts import InterruptStore
from service.waiting.watched import FETCH_BATCH, PendingList, WatchedInterrupt

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=3_600_000)


class CountingStore(InterruptStore):
    """The real store, counting how many records the feed fetches."""

    fetched = 0
    round_trips = 0

    async def get_many(self, interrupt_ids: list[str]) -> list[Interrupt]:
        self.fetched += len(interrupt_ids)
        self.round_trips += 1
        return await super().get_many(interrupt_ids)


@pytest.mark.timeout(30)
async def test_a_long_list_is_fetched_a_batch_per_round_trip(redis: Redis, user_id: str) -> None:
    store = CountingStore(redis, FrozenClock(), retention_ms=60_000)
    count = 2 * FETCH_BATCH + 3
    ids = {(await store.create(msgspec.structs.replace(NEW, user_id=user_id))).id for _ in range(count)}
    listed = await PendingList(store, FrozenClock(), user_id, fetch_batch=FETCH_BATCH).read()  # a watcher's
    assert {r.id for r in listed} == ids and (store.fetched, store.round_trips) == (count, 3)
    paged = await PendingList(store, FrozenClock(), user_id).read()  # a page answering one request: one trip
    assert {r.id for r in paged} == ids and store.round_trips == 4


@pytest.mark.timeout(30)
async def test_a_feed_reads_each_record_once_and_then_only_ids(redis: Redis, user_id: str) -> None:
    clock = FrozenClock()
    store = CountingStore(redis, clock, retention_ms=60_000)
    ids = [(await store.create(msgspec.structs.replace(NEW, user_id=user_id))).id for _ in range(5)]
    pending = PendingList(store, clock, user_id)
    first = await pending.read()
    assert {r.id for r in first} == set(ids) and store.fetched == 5
    clock.advance(1)
    newer = await store.create(msgspec.structs.replace(NEW, user_id=user_id, urgency="high"))
    await store.decide(ids[0], Decision(decision="approved"))
    second = await pending.read()
    assert store.fetched == 6  # only the new one was read
    assert [r.id for r in second] == [newer.id, *(r.id for r in first if r.id != ids[0])]  # high first
    clock.advance(3_600_000)  # every deadline passes: nothing is listed, nothing more is read
    assert await pending.read() == [] and store.fetched == 6


@pytest.mark.timeout(30)
async def test_an_interrupt_past_its_deadline_reads_closed_at_its_next_version(redis: Redis, user_id: str) -> None:
    clock = FrozenClock()
    store = InterruptStore(redis, clock, retention_ms=60_000)
    created = await store.create(msgspec.structs.replace(NEW, user_id=user_id))
    watched = WatchedInterrupt(store, created.id)
    record = await watched.read()
    assert watched.key == created.id and watched.deadline_ms(record) == created.expires_at
    assert watched.is_open(record, clock.now_ms()) and watched.version(record, clock.now_ms()) == 1
    past = created.expires_at  # the expiry is not recorded yet: a reader already sees it, as version 2
    assert not watched.is_open(record, past) and watched.version(record, past) == 2
