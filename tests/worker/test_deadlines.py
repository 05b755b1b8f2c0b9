"""Deadlines become transitions: on time without keyspace notifications, and exactly once against racing decides."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.errors import AlreadyDecided
from service.domain.loops import NewLoop
from service.domain.models import Decision, NewInterrupt
from service.settings import Settings
from service.store import keys
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.notifications import expired_deadlines
from service.store.watching import WatchMarkers
from tests.clients import blocking_client
from tests.processes import until
from tests.receivers import Receiver
from tests.worker.conftest import worker_running


@pytest.fixture
async def redis(worker_url: str) -> AsyncIterator[Redis]:
    """A client of the worker tests' own database."""
    async with blocking_client(worker_url) as client:
        yield client


def new(callback: str | None = None, expires_ms: int = 1000) -> NewInterrupt:
    return NewInterrupt(
        agent_id="clock", user_id="deadline-user", action="x", context="{}", urgency="high",
        expires_in_ms=expires_ms, callback_url=callback,
    )  # fmt: skip


@pytest.mark.timeout(60)
async def test_expiry_lands_within_a_second_without_keyspace_notifications(
    redis: Redis, worker_settings: Settings, receiver: Receiver
) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=60_000)
    await redis.config_set("notify-keyspace-events", "")
    try:
        async with worker_running(worker_settings):
            created = [await store.create(new(receiver.url("/late"), 300 + 40 * i)) for i in range(20)]
            await receiver.wait_for("/late", 20)
    finally:
        await redis.config_set("notify-keyspace-events", "Ex")
    for item in created:
        record = await redis.hgetall(keys.interrupt(item.id))
        assert record["status"] == "expired"
        lateness = int(record["endedAt"]) - int(record["expiresAt"])
        assert 0 <= lateness < 1000, f"{item.id} expired {lateness} ms after its deadline"


@pytest.mark.timeout(30)
async def test_keyspace_notifications_report_expired_deadline_keys(redis: Redis) -> None:
    stop = asyncio.Event()
    feed = expired_deadlines(redis, stop)
    interrupt_id = "00000000-0000-4000-8000-00000000abcd"
    before = await redis.pubsub_numpat()

    async def ours() -> str:  # other tests' deadline keys expire too: wait for this one
        async for found in feed:
            if found == interrupt_id:
                return found
        raise AssertionError("the feed ended")

    seen = asyncio.ensure_future(ours())
    await until(lambda: more_patterns(redis, before))  # the feed's pattern subscription is in place
    await redis.set(keys.deadline_ttl(interrupt_id), "", px=50)
    assert await seen == interrupt_id
    stop.set()
    await feed.aclose()  # type: ignore[attr-defined]


@pytest.mark.timeout(90)
@pytest.mark.usefixtures("worker")
async def test_decides_racing_the_deadline_produce_one_outcome_each(redis: Redis) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=60_000)
    created = await asyncio.gather(*(store.create(new(expires_ms=1500)) for _ in range(500)))
    loop = asyncio.get_running_loop()
    # aim the decides at the deadlines: some land before, some after the worker's expiry
    await asyncio.sleep(max(0.0, (created[0].expires_at - SystemClock().now_ms()) / 1000 - 0.05))

    async def decide(interrupt_id: str) -> str:
        try:
            await store.decide(interrupt_id, Decision(decision="approved"))
            return "approved"
        except AlreadyDecided as exc:
            return str(exc.args[0]).removeprefix("Interrupt is already ")

    started = loop.time()
    answers = await asyncio.gather(*(decide(c.id) for c in created))
    assert loop.time() - started < 60
    for item, answer in zip(created, answers, strict=True):
        status = await redis.hget(keys.interrupt(item.id), "status")
        events = await redis.lrange(keys.events(item.id), 0, -1)
        assert status == answer, item.id
        assert len(events) == 1, item.id  # one terminal event, whoever won
    assert set(answers) <= {"approved", "expired"}


@pytest.mark.timeout(30)
async def test_loop_timeouts_are_recorded_by_the_worker(redis: Redis, worker_settings: Settings) -> None:
    loops = LoopStore(redis, SystemClock(), retention_ms=60_000)
    async with worker_running(worker_settings), redis.pubsub() as pubsub:
        new = NewLoop(name="n", description="d", participants=("a@x.io", "b@x.io"), timeout_ms=1000)
        created = await loops.create(new)
        await WatchMarkers(redis).mark([created.id], 30_000)  # as a waiter does: its changes are published
        await pubsub.ssubscribe(keys.channel(created.id))
        while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)) is None:
            continue  # get_message waits up to 5 s itself; the test timeout bounds the loop
        assert message["data"] == "timedout"
    record = await redis.hgetall(keys.loop(created.id))
    assert (record["status"], record["cause"], record["s0"], record["s1"]) == (
        "REJECTED",
        "timedout",
        "REJECTED_TIMEDOUT",
        "REJECTED_TIMEDOUT",
    )
    assert 0 <= int(record["endedAt"]) - int(record["deadline"]) < 1000
    assert await redis.zscore(keys.loop_deadlines(keys.partition_of(created.id)), created.id) is None


async def more_patterns(redis: Redis, before: int) -> bool:
    """True once Redis counts more pattern subscriptions than `before`."""
    return int(await redis.pubsub_numpat()) > before
