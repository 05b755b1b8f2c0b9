"""Sharded pub/sub on real servers: a change reaches only the processes waiting on it, and survives reconnects."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from service.clock import SystemClock
from service.domain.errors import StoreUnavailable
from service.domain.models import Decision, NewInterrupt
from service.settings import Settings
from service.store import keys, subscriptions
from service.store.connection import AnyRedis, redis_factory_for
from service.store.interrupts import InterruptStore
from service.store.subscriptions import RESUBSCRIBED, Subscriptions, listener
from service.store.watching import WatchMarkers
from tests.clients import kill_pubsub_clients
from tests.processes import until

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

NEW = NewInterrupt(agent_id="a", user_id="sub-user", action="pay", context="{}", urgency="low", expires_in_ms=60_000)


class Count:
    """A counter of messages heard."""

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1) -> None:
        self.value += amount


class Process:
    """What one API process has: its own subscriber client, its subscriptions and what their feed yields."""

    def __init__(self, url: str, linger_s: float) -> None:
        self.client = redis_factory_for(Settings(redis_url=url))()
        self.count = Count()
        self.subscriptions = Subscriptions(self.client, counter=self.count, linger_s=linger_s)
        self.heard: list[str | None] = []
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        async for key in self.subscriptions.feed(self.stop):
            self.heard.append(key)

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)
        await self.client.aclose()


@asynccontextmanager
async def processes(url: str, n: int, linger_s: float = 0.2) -> AsyncIterator[list[Process]]:
    made = [Process(url, linger_s) for _ in range(n)]
    try:
        yield made
    finally:
        for process in made:
            await process.close()


async def subscribers(redis: AnyRedis, channel: str) -> int:
    """How many connections the server holding `channel` has subscribed to it."""
    if isinstance(redis, RedisCluster):
        await redis.initialize()
        reply = await redis.execute_command(
            "PUBSUB", "SHARDNUMSUB", channel, target_nodes=redis.get_node_from_key(channel)
        )
    else:
        reply = await redis.execute_command("PUBSUB", "SHARDNUMSUB", channel)  # type: ignore[no-untyped-call]
    return int(reply[1])


@pytest.mark.timeout(60)
async def test_a_change_reaches_only_the_processes_waiting_on_it(redis_url: str) -> None:
    admin = redis_factory_for(Settings(redis_url=redis_url))()
    store = InterruptStore(admin, SystemClock(), retention_ms=60_000)
    made = [await store.create(NEW) for _ in range(5)]
    async with processes(redis_url, 8) as fleet:
        waiting = fleet[0]
        await listener(waiting.subscriptions, WatchMarkers(admin))([m.id for m in made], 30_000)
        assert await subscribers(admin, keys.channel(made[0].id)) == 1  # confirmed before follow returned
        for m in made:
            await store.decide(m.id, Decision(decision="approved"))
        await until(lambda: _true(len([k for k in waiting.heard if k]) == 5))
        assert sorted(k for k in waiting.heard if k) == sorted(m.id for m in made)
        assert [p.count.value for p in fleet] == [5, 0, 0, 0, 0, 0, 0, 0]  # one message per decision, to its waiter
    await admin.aclose()


@pytest.mark.timeout(60)
async def test_a_channel_nobody_waits_on_is_let_go_after_its_linger(redis_url: str) -> None:
    admin = redis_factory_for(Settings(redis_url=redis_url))()
    interrupt_id = (await InterruptStore(admin, SystemClock(), retention_ms=60_000).create(NEW)).id
    channel = keys.channel(interrupt_id)
    async with processes(redis_url, 1) as (process,):
        await process.subscriptions.follow([interrupt_id])
        assert await subscribers(admin, channel) == 1
        process.subscriptions.drop(interrupt_id)
        await until(lambda: _true(process.subscriptions.channels == 0))
        await until(lambda: _none(admin, channel))
        await process.subscriptions.follow([interrupt_id])  # and back again, confirmed
        assert await subscribers(admin, channel) == 1
    await admin.aclose()


async def _none(redis: AnyRedis, channel: str) -> bool:
    return await subscribers(redis, channel) == 0


@pytest.mark.timeout(60)
async def test_cut_connections_resubscribe_say_so_and_hear_again(redis_url: str) -> None:
    admin = redis_factory_for(Settings(redis_url=redis_url))()
    store = InterruptStore(admin, SystemClock(), retention_ms=60_000)
    first, second = await store.create(NEW), await store.create(msgspec.structs.replace(NEW, user_id="other"))
    async with processes(redis_url, 1) as (process,):
        await listener(process.subscriptions, WatchMarkers(admin))([first.id, second.id], 30_000)
        assert process.heard == [RESUBSCRIBED]  # the feed's start
        assert await kill_pubsub_clients(admin) >= 1
        await until(lambda: _true(process.heard.count(RESUBSCRIBED) >= 2), within=20)
        for interrupt_id in (first.id, second.id):  # RESUBSCRIBED comes only once the server confirmed again
            assert await subscribers(admin, keys.channel(interrupt_id)) == 1
        await store.decide(first.id, Decision(decision="approved"))
        await store.decide(second.id, Decision(decision="rejected"))
        await until(lambda: _true({first.id, second.id} <= set(process.heard)), within=20)
    await admin.aclose()


async def _true(value: bool) -> bool:
    """`value`, as the awaitable check `until` polls."""
    return value


@pytest.mark.timeout(30)
async def test_a_subscription_the_server_never_confirms_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscriptions, "CONFIRM_WITHIN_S", 0.2)
    accepted: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _r, w: accepted.append(w), "127.0.0.1", 0)  # takes, never answers
    port = silent.sockets[0].getsockname()[1]
    client = Redis(host="127.0.0.1", port=port, protocol=2, driver_info=None)  # no handshake to wait for
    try:
        with pytest.raises(StoreUnavailable):  # the waiter answers 503, rather than waiting unheard
            await Subscriptions(client).follow(["never-confirmed"])
    finally:
        for writer in accepted:
            writer.transport.abort()
        silent.close()
        await silent.wait_closed()
        await client.aclose()
