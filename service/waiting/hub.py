"""The process's waiter hub: signals registered by key, woken by the one pub/sub connection.

Pub/sub only wakes: a waiter registers first (in the hub, then with a marker in Redis, without which
transitions publish nothing), then reads state, and re-reads after every wake-up, so a change between
its first read and its registration, or one lost while the connection was down, is never missed
(service/waiting/streams.py holds the waits built on it).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from typing import Protocol

Marker = Callable[[Collection[str], int], Awaitable[None]]  # (keys, ttl ms): "changes of these keys, publish"
MARKER_MARGIN_MS = 5_000  # a marker outlives its wait by this much (clock skew, a slow read)


class Gauge(Protocol):
    """Where the hub reports its open waiters (a Prometheus gauge)."""

    def inc(self, amount: float = 1) -> None:
        """Add `amount` (negative to take away)."""


class Signal:
    """A one-bit wake-up like asyncio.Event, without its per-instance deque (thousands of idle waiters hold one)."""

    __slots__ = ("_future", "_set")

    def __init__(self) -> None:
        self._set = False
        self._future: asyncio.Future[None] | None = None

    def set(self) -> None:
        """Wake the waiter, now or when it next waits."""
        self._set = True
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def clear(self) -> None:
        """Forget an earlier wake-up."""
        self._set = False

    def is_set(self) -> bool:
        """True once set and not cleared since."""
        return self._set

    async def wait(self) -> None:
        """Return once set (at once if it already is)."""
        if self._set:
            return
        self._future = asyncio.get_running_loop().create_future()
        try:
            await self._future
        finally:
            self._future = None


class WaiterHub:
    """Fans change notifications out to the waiters of this process, by interrupt id."""

    def __init__(
        self, gauge: Gauge | None = None, *, marker: Marker | None = None, on_idle: Callable[[str], None] | None = None
    ) -> None:
        self._waiters: dict[str, set[Signal]] = {}
        self._closing = False
        self._open = 0
        self._gauge = gauge
        self._marker = marker
        self._on_idle = on_idle  # told when a key's last waiter has gone (its subscription can go)

    async def listen(self, keys: Collection[str], seconds: float) -> None:
        """Have changes of `keys` reach this process for the next `seconds` (after registering, before reading).

        The marker function subscribes to the keys' channels and sets their markers (transitions
        publish only while a key's marker exists); without one (a hub fed by hand, in tests) this
        does nothing.
        """
        if self._marker is not None:
            await self._marker(keys, int(max(seconds, 0) * 1000) + MARKER_MARGIN_MS)

    @property
    def open_waiters(self) -> int:
        """How many waiters (long-polls, streams, inboxes) are registered now."""
        return self._open

    @property
    def closing(self) -> bool:
        """True once the process is shutting down: waits answer at once."""
        return self._closing

    @contextlib.contextmanager
    def watch(self, interrupt_id: str) -> Iterator[Signal]:
        """Register for wake-ups on `interrupt_id` for the duration of the block."""
        signal = Signal()
        if self._closing:
            signal.set()
        self._count(1)
        self.register(interrupt_id, signal)
        try:
            yield signal
        finally:
            self.unregister(interrupt_id, signal)
            self._count(-1)

    @contextlib.contextmanager
    def watch_many(self) -> Iterator["Watch"]:
        """One wake-up signal for a set of keys the block may change (e.g. an inbox: its user and each item)."""
        watch = Watch(self)
        self._count(1)
        try:
            yield watch
        finally:
            watch.track(set())
            self._count(-1)

    def _count(self, change: int) -> None:
        self._open += change
        if self._gauge is not None:
            self._gauge.inc(change)

    def register(self, key: str, event: Signal) -> None:
        """Have changes of `key` set `event` (until unregistered)."""
        self._waiters.setdefault(key, set()).add(event)

    def unregister(self, key: str, event: Signal) -> None:
        """Stop changes of `key` setting `event`."""
        events = self._waiters.get(key)
        if events is not None:
            events.discard(event)
            if not events:
                del self._waiters[key]
                if self._on_idle is not None:
                    self._on_idle(key)

    def notify(self, interrupt_id: str | None) -> None:
        """Wake the waiters of one interrupt, or every waiter when `interrupt_id` is None."""
        groups = self._waiters.values() if interrupt_id is None else [self._waiters.get(interrupt_id, set())]
        for events in groups:
            for event in events:
                event.set()

    def close(self) -> None:
        """Wake everyone and make later waits return at once (graceful shutdown)."""
        self._closing = True
        self.notify(None)

    async def consume(self, changes: AsyncIterator[str | None]) -> None:
        """Feed the hub from the pub/sub change feed until cancelled."""
        async for interrupt_id in changes:
            self.notify(interrupt_id)


class Watch:
    """One signal registered with a hub under a set of keys that can change while it waits."""

    __slots__ = ("_hub", "_keys", "event")

    def __init__(self, hub: WaiterHub) -> None:
        self._hub = hub
        self._keys: set[str] = set()
        self.event = Signal()
        if hub.closing:
            self.event.set()

    @property
    def keys(self) -> set[str]:
        """The keys that wake this watch now."""
        return self._keys

    def track(self, keys: set[str]) -> set[str]:
        """Be woken by exactly `keys` from now on; returns the new ones (re-read to not miss their changes)."""
        added = keys - self._keys
        for key in added:
            self._hub.register(key, self.event)
        for key in self._keys - keys:
            self._hub.unregister(key, self.event)
        self._keys = set(keys)
        return added


async def wait_signal(event: Signal, seconds: float) -> bool:
    """Wait for `event` at most `seconds` and say whether it was set (asyncio.timeout makes no task)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()
