"""Keyspace notifications: the ids of interrupts whose near-deadline key expired, from every server."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster

from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import UNAVAILABLE

log = logging.getLogger(__name__)


async def expired_deadlines(redis: AnyRedis, stop: asyncio.Event, *, backoff: float = 0.2) -> AsyncIterator[str]:
    """Yield the id of each interrupt whose deadline key Redis expired (keyspace notifications, `Ex`).

    Lossy by nature (nothing is replayed after a reconnect, and Redis may expire keys late): the
    worker's deadline sweep is the guarantee, this only makes some expiries quicker. Notifications
    are per server: on a cluster every node known at the start is listened to (a replica too, for
    after its promotion).
    """
    if not isinstance(redis, RedisCluster):
        async for interrupt_id in _expired_on(redis, stop, backoff):
            yield interrupt_id
        return
    await redis.initialize()
    found: asyncio.Queue[str] = asyncio.Queue()
    nodes = [Redis.from_pool(ConnectionPool(connection_class=n.connection_class, **n.connection_kwargs))
             for n in redis.get_nodes()]  # fmt: skip
    pumps = [asyncio.create_task(_pump(_expired_on(node, stop, backoff), found)) for node in nodes]
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                yield await asyncio.wait_for(found.get(), 0.2)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for node in nodes:
            await node.aclose()


async def _pump(source: AsyncIterator[str], into: asyncio.Queue[str]) -> None:
    async for item in source:
        into.put_nowait(item)


async def _expired_on(redis: Redis, stop: asyncio.Event, backoff: float) -> AsyncIterator[str]:
    """expired_deadlines of one server."""
    while not stop.is_set():
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe("__keyevent@*__:expired")
            while not stop.is_set():
                message = await pubsub.get_message(timeout=0.2)
                if message is not None and message["type"] == "pmessage":
                    interrupt_id = keys.id_from_deadline_ttl(message["data"])
                    if interrupt_id is not None:
                        yield interrupt_id
        except UNAVAILABLE as exc:
            log.warning("keyspace notifications lost (%s); resubscribing", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
