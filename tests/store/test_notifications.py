"""The pub/sub change feed tells waiters to re-read only once Redis has confirmed the subscription."""

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from service.store import keys, notifications
from service.store.connection import cluster_address, cluster_client
from service.store.ids import new_id
from service.store.notifications import RESUBSCRIBED, changes
from tests.processes import until


class SlowConfirmPubSub:
    """A pub/sub whose subscription Redis confirms only on the third read, logging what happens."""

    def __init__(self, owner: "FakeRedis") -> None:
        self.log, self.owner, self.reads = owner.log, owner, 0

    async def psubscribe(self, pattern: str) -> None:
        self.log.append("psubscribe sent")

    async def get_message(self, **options: float) -> dict[str, Any] | None:
        self.reads += 1
        if self.reads == self.owner.confirm_on:
            self.log.append("confirmed")
            return {"type": "psubscribe", "pattern": None, "channel": keys.channel_pattern(), "data": 1}
        await asyncio.sleep(0)  # a read that found nothing yet (yields to the loop, as a socket read would)
        return None

    async def aclose(self) -> None:
        self.log.append("closed")
        if self.log.count("closed") >= 2:
            self.owner.two_closed.set()


class FakeRedis:
    """Hands out the pub/subs above."""

    def __init__(self, confirm_on: int | None) -> None:
        self.log: list[str] = []
        self.confirm_on = confirm_on
        self.two_closed = asyncio.Event()

    def pubsub(self) -> SlowConfirmPubSub:
        return SlowConfirmPubSub(self)


@pytest.mark.timeout(10)
async def test_resubscribed_comes_only_after_redis_confirms() -> None:
    redis = FakeRedis(confirm_on=3)
    feed = changes(redis, asyncio.Event())  # type: ignore[arg-type]
    assert await anext(feed) is RESUBSCRIBED
    assert redis.log == ["psubscribe sent", "confirmed"]  # not before: a re-read then could miss a change
    await feed.aclose()  # type: ignore[attr-defined]


@pytest.mark.timeout(10)
async def test_a_subscription_never_confirmed_counts_as_a_lost_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notifications, "CONFIRM_WITHIN_S", 0.05)
    stop = asyncio.Event()
    redis = FakeRedis(confirm_on=None)
    feed = changes(redis, stop, backoff=0.01)  # type: ignore[arg-type]

    async def first() -> str | None:
        return await anext(feed)

    waiting = asyncio.create_task(first())
    await redis.two_closed.wait()  # two subscriptions given up on, and nothing yielded
    assert not waiting.done()
    stop.set()
    with pytest.raises(StopAsyncIteration):
        await waiting


@pytest.mark.timeout(10)
async def test_a_change_published_right_after_resubscribed_is_heard(redis: Redis) -> None:
    stop = asyncio.Event()
    feed = changes(redis, stop)
    assert await anext(feed) is RESUBSCRIBED
    await redis.publish(keys.channel("int_heard"), "1")
    assert await anext(feed) == "int_heard"
    stop.set()
    await feed.aclose()  # type: ignore[attr-defined]


@pytest.mark.timeout(60)
async def test_expired_deadline_keys_are_heard_from_every_node_of_a_cluster(cluster_url: str) -> None:
    address = cluster_address(cluster_url)
    assert address is not None
    client = cluster_client(address, 8)
    stop = asyncio.Event()
    heard: set[str] = set()
    ids = {new_id(p) for p in range(0, keys.PARTITIONS, 4)}  # partitions on each of the three primaries

    async def listen() -> None:
        async for interrupt_id in notifications.expired_deadlines(client, stop):
            heard.add(interrupt_id)
            if heard >= ids:
                return

    try:
        listening = asyncio.create_task(listen())
        await client.initialize()

        async def every_node_listens() -> bool:  # subscribed before the keys expire (a lossy feed: no replay)
            counts = await client.execute_command("PUBSUB", "NUMPAT", target_nodes=client.get_nodes())
            return all(int(n) >= 1 for n in counts.values())

        await until(every_node_listens)
        for interrupt_id in ids:
            await client.set(keys.deadline_ttl(interrupt_id), "", px=50)
        await asyncio.wait_for(listening, 20)
    finally:
        stop.set()
        await client.aclose()
    assert heard >= ids
