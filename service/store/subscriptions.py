"""Sharded pub/sub: a channel per waited-on key, subscribed only while a waiter of this process needs it.

The transition scripts `SPUBLISH` a change on its key's channel (while the key's marker says someone
waits), in the key's partition; the server sends it only to the connections subscribed to that
channel, so a process hears the changes its own waiters wait for and no others. On a cluster a
channel lives on the node that owns its partition's slot: this process keeps one subscriber
connection per node it needs, each read by its own task (one task reading every node in turn
would make each message wait for the others' read timeouts).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any, Protocol

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster

from service.domain.errors import StoreUnavailable
from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import UNAVAILABLE
from service.store.watching import WatchMarkers

log = logging.getLogger(__name__)
RESUBSCRIBED = None  # yielded after every (re)subscription: every waiter must re-read its state
CONFIRM_WITHIN_S = 5.0  # a subscription the server has not confirmed by then counts as a lost connection
LINGER_S = 1.0  # a channel nobody waits on stays subscribed this long (a new waiter then costs no round trip)
SINGLE = "server"  # the one node of a standalone server
BROKEN = (*UNAVAILABLE, RuntimeError)  # uvloop raises RuntimeError writing to a transport the server closed


class Counted(Protocol):
    """A counter (prometheus_client's, or a test's)."""

    def inc(self, amount: float = 1) -> None:
        """Add `amount`."""


class _Node:
    """One server's subscriber connection, the channels it holds, and its reader."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.pubsub: PubSub | None = None
        self.channels: set[str] = set()
        self.lock = asyncio.Lock()  # subscribe and unsubscribe go out in the order they were decided
        self.reader: asyncio.Task[None] | None = None
        self.restarting = False  # a resubscription is under way: its own failures retry, they start no other
        self.again = False  # a subscribe failed during the resubscription: it must run once more


class Subscriptions:
    """The process's sharded subscriptions: `follow` before reading a key's state, `drop` when it has no waiter."""

    def __init__(self, redis: AnyRedis, *, counter: Counted | None = None, linger_s: float = LINGER_S) -> None:
        self._redis = redis
        self._counter = counter
        self._linger_s = linger_s
        self._nodes: dict[str, _Node] = {}
        self._confirm: dict[str, asyncio.Future[None]] = {}  # channel → its SSUBSCRIBE's confirmation
        self._idle: dict[str, float] = {}  # channel → when its last waiter left
        self._leaving: set[str] = set()  # SUNSUBSCRIBE sent, its confirmation not read yet
        self._out: asyncio.Queue[str | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()  # resubscriptions under way

    async def follow(self, watched: Collection[str]) -> None:
        """Have the changes of `watched` (ids, user topics) reach this process; returns once the server confirmed."""
        await self.confirmed(await self.subscribe(watched))

    async def confirmed(self, waits: list[asyncio.Future[None]]) -> None:
        """Wait for the confirmations `subscribe` handed out; StoreUnavailable when one does not come in time."""
        if waits:  # asyncio.wait never cancels what it waits for: other waiters share these confirmations
            _, unconfirmed = await asyncio.wait(waits, timeout=CONFIRM_WITHIN_S)
            if unconfirmed:
                raise StoreUnavailable()

    async def subscribe(self, watched: Collection[str]) -> list[asyncio.Future[None]]:
        """Send the subscriptions `watched` still needs; the confirmations to wait for before reading."""
        loop = asyncio.get_running_loop()
        waits: list[asyncio.Future[None]] = []
        by_node: dict[str, list[str]] = {}
        for key in watched:
            channel = keys.channel(key)
            self._idle.pop(channel, None)
            held = any(channel in node.channels for node in self._nodes.values())  # sent, maybe not confirmed yet
            confirmed = self._confirm.get(channel)
            if held:
                if confirmed is not None:
                    waits.append(confirmed)
                continue
            if confirmed is None:
                confirmed = self._confirm[channel] = loop.create_future()
            waits.append(confirmed)
            by_node.setdefault(await self._node_of(channel), []).append(channel)
        for name, channels in by_node.items():
            await self._subscribe(self._nodes[name], channels)
        return waits

    def drop(self, key: str) -> None:
        """`key` has no waiter left here: unsubscribe its channel after LINGER_S unless one comes back."""
        self._idle[keys.channel(key)] = asyncio.get_running_loop().time()

    @property
    def channels(self) -> int:
        """How many channels this process holds now."""
        return sum(len(node.channels) for node in self._nodes.values())

    async def feed(self, stop: asyncio.Event) -> AsyncIterator[str | None]:
        """RESUBSCRIBED, then the key of each change heard, and RESUBSCRIBED after every reconnect, until `stop`."""
        yield RESUBSCRIBED
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self._linger_s
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    yield await asyncio.wait_for(self._out.get(), 0.2)
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self._linger_s
                    await self._unsubscribe_idle(loop.time())
        finally:
            await self._close()

    async def _node_of(self, channel: str) -> str:
        """The node that holds `channel` (made on first use): the one server, or its slot's primary."""
        if not isinstance(self._redis, RedisCluster):
            if SINGLE not in self._nodes:
                self._nodes[SINGLE] = _Node(self._redis)
            return SINGLE
        await self._redis.initialize()
        node = self._redis.get_node_from_key(channel)
        if node is None:  # no primary owns the slot (a failover under way)
            raise StoreUnavailable()
        if node.name not in self._nodes:
            pool = ConnectionPool(connection_class=node.connection_class, **node.connection_kwargs)
            self._nodes[node.name] = _Node(Redis.from_pool(pool))
        return str(node.name)

    async def _subscribe(self, node: _Node, channels: list[str]) -> None:
        async with node.lock:
            node.channels.update(channels)
            fresh = node.pubsub is None
            pubsub = node.pubsub = node.pubsub or node.client.pubsub()
            try:
                await pubsub.ssubscribe(*channels)
            except Exception:  # a broken or closed connection: the resubscription sends them, or 503 in time
                self._restart(node, pubsub)
                return
            if fresh:  # each connection has its reader, which ends when the connection is replaced
                node.reader = asyncio.create_task(self._read(node, pubsub), name="interlock-subscriptions")

    async def _unsubscribe_idle(self, now: float) -> None:
        gone = [channel for channel, since in self._idle.items() if now - since >= self._linger_s]
        for channel in gone:
            del self._idle[channel]
        for node in self._nodes.values():
            leaving = [channel for channel in gone if channel in node.channels]
            if leaving and node.pubsub is not None:
                async with node.lock:
                    node.channels.difference_update(leaving)
                    self._leaving.update(leaving)
                    with contextlib.suppress(*BROKEN):  # a broken connection is restarted by its reader
                        await node.pubsub.sunsubscribe(*leaving)

    async def _read(self, node: _Node, pubsub: PubSub) -> None:
        """Read one connection's messages until it breaks (then restart the node) or is replaced or closed."""
        try:
            while node.pubsub is pubsub:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and node.pubsub is pubsub:
                    self._handle(node, message)
        except BROKEN as exc:
            if node.pubsub is pubsub:
                log.warning("pub/sub connection lost (%s); resubscribing", type(exc).__name__)
                self._restart(node, pubsub)
        except Exception:  # never a silent dead reader: its waiters would only hear their timeouts
            log.exception("pub/sub reader failed; resubscribing")
            self._restart(node, pubsub)

    def _handle(self, node: _Node, message: dict[str, Any]) -> None:
        kind, channel = message["type"], message["channel"]
        if kind == "smessage":
            if self._counter is not None:
                self._counter.inc()
            self._out.put_nowait(keys.id_from_channel(channel))
        elif kind == "ssubscribe":
            if (confirmed := self._confirm.pop(channel, None)) is not None and not confirmed.done():
                confirmed.set_result(None)
        elif kind == "sunsubscribe" and channel not in self._leaving and channel in node.channels:
            log.warning("pub/sub: the server dropped %s (its slot moved); resubscribing", channel)
            self._restart(node, node.pubsub)
        else:
            self._leaving.discard(channel)

    def _restart(self, node: _Node, failed: PubSub | None) -> None:
        """Resubscribe a node's channels on a new connection (and wherever their slots now are), then RESUBSCRIBED.

        Only once per broken connection: a second report of the same failure finds it replaced.
        """
        if failed is not None and node.pubsub is failed:
            node.pubsub = None
            if node.restarting:
                node.again = True
                return
            node.restarting = True
            task = asyncio.get_running_loop().create_task(self._resubscribe(node, failed), name="interlock-resubscribe")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _resubscribe(self, node: _Node, old: PubSub) -> None:
        async with node.lock:  # not while a subscribe is writing to it
            with contextlib.suppress(Exception):
                await old.aclose()  # type: ignore[no-untyped-call]
        channels: set[str] = set()
        delay = 0.2
        while True:
            async with node.lock:  # every channel it held, and those a failed subscribe added meanwhile
                channels, node.channels = channels | node.channels, set()
            try:
                if isinstance(self._redis, RedisCluster):
                    await self._redis.nodes_manager.initialize()  # the slots may have moved
                node.again = False
                await self.follow([keys.id_from_channel(c) for c in channels])
                if not node.again:  # else a subscribe failed meanwhile: take its channels too, on a new connection
                    break
            except (StoreUnavailable, *BROKEN):
                await asyncio.sleep(delay)  # a retry's pause, not synchronisation
                delay = min(delay * 2, 2.0)
        node.restarting = False
        self._out.put_nowait(RESUBSCRIBED)

    async def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for node in self._nodes.values():
            pubsub, node.pubsub = node.pubsub, None
            if node.reader is not None:
                node.reader.cancel()
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if node.client is not self._redis:
                await node.client.aclose()


def listener(subscriptions: Subscriptions, markers: WatchMarkers) -> Callable[[Collection[str], int], Awaitable[None]]:
    """The hub's marker function: subscribe to the keys' channels and set their markers, both in flight at once."""

    async def listen(watched: Collection[str], ttl_ms: int) -> None:
        confirmations = await subscriptions.subscribe(watched)  # sent; confirmed while the markers are set
        await markers.mark(watched, ttl_ms)
        await subscriptions.confirmed(confirmations)

    return listen
