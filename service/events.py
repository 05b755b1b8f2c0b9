"""Waiting for decisions: an in-process hub fed by the one pub/sub connection, and the long-poll built on it.

Pub/sub only wakes: a waiter registers first (in the hub, then with a marker in Redis, without which
transitions publish nothing), then reads state, and re-reads after every wake-up, so a change between
its first read and its registration, or one lost while the connection was down, is never missed.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from service.clock import Clock
from service.domain import loops, machine
from service.domain.loops import Loop
from service.domain.models import Interrupt
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore

T = TypeVar("T")
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

    def __init__(self, gauge: Gauge | None = None, *, marker: Marker | None = None) -> None:
        self._waiters: dict[str, set[Signal]] = {}
        self._closing = False
        self._open = 0
        self._gauge = gauge
        self._marker = marker

    async def listen(self, keys: Collection[str], seconds: float) -> None:
        """Have changes of `keys` published for the next `seconds` (call after registering, before reading).

        Transitions publish only while a key's marker exists in Redis; without a marker function
        (a hub fed by hand, in tests) this does nothing.
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
        self._add(interrupt_id, signal)
        try:
            yield signal
        finally:
            self._remove(interrupt_id, signal)
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

    def _add(self, key: str, event: Signal) -> None:
        self._waiters.setdefault(key, set()).add(event)

    def _remove(self, key: str, event: Signal) -> None:
        events = self._waiters.get(key)
        if events is not None:
            events.discard(event)
            if not events:
                del self._waiters[key]

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
            self._hub._add(key, self.event)
        for key in self._keys - keys:
            self._hub._remove(key, self.event)
        self._keys = set(keys)
        return added


async def wait_signal(event: Signal, seconds: float) -> bool:
    """Wait for `event` at most `seconds` and say whether it was set (asyncio.timeout makes no task)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


async def wait_for_change(
    hub: WaiterHub,
    key: str,
    read: Callable[[], Awaitable[T]],
    is_pending: Callable[[T], bool],
    deadline_ms: Callable[[T], int],
    clock: Clock,
    seconds: float,
) -> T:
    """The record once `is_pending` is false, or as it is after `seconds` (read errors raise before waiting).

    Registers with the hub first, then reads, and re-reads after every wake-up; it also wakes at the
    record's deadline, when it reads differently even if nothing is published.
    """
    record = await read()
    if not is_pending(record):
        return record
    loop = asyncio.get_running_loop()
    give_up = loop.time() + seconds
    with hub.watch(key) as changed:
        await hub.listen((key,), seconds)
        record = await read()  # registered first, then read: nothing slips between
        while is_pending(record) and not hub.closing:
            remaining = min(give_up - loop.time(), (deadline_ms(record) - clock.now_ms()) / 1000)
            if remaining <= 0:
                break
            if await wait_signal(changed, remaining) and not hub.closing:
                # cleared before the re-read, never after it: a change published while a read is in
                # flight sets the signal again and is seen on the next turn
                changed.clear()
                await hub.listen((key,), give_up - loop.time())  # a restarted Redis may have lost the marker
            record = await read()
    return record


async def wait_while_pending(
    store: InterruptStore, hub: WaiterHub, clock: Clock, interrupt_id: str, seconds: float
) -> Interrupt:
    """The interrupt once it is no longer pending, or as it is after `seconds` (404 before any waiting)."""
    return await wait_for_change(
        hub,
        interrupt_id,
        lambda: store.get(interrupt_id),
        lambda record: record.status_at(clock.now_ms()) == machine.PENDING,
        lambda record: record.expires_at,
        clock,
        seconds,
    )


@dataclass(frozen=True, slots=True)
class Frame(Generic[T]):
    """One thing to send on a stream: a state with its event id, or (record None) a keep-alive ping."""

    event_id: int | None = None
    record: T | None = None


def event_id_of(record: Interrupt, now_ms: int) -> int:
    """The version a reader sees: an expiry not yet recorded is the next version, as it will be once recorded."""
    due = record.status == machine.PENDING and record.status_at(now_ms) != machine.PENDING
    return record.version + 1 if due else record.version


async def state_frames(
    hub: WaiterHub,
    key: str,
    read: Callable[[], Awaitable[T]],
    event_id: Callable[[T, int], int],
    is_open: Callable[[T, int], bool],
    deadline_ms: Callable[[T], int],
    clock: Clock,
    last_id: int | None,
    ping_s: float,
) -> AsyncIterator[Frame[T]]:
    """The current state (unless `last_id` already has it), then each change, ending once closed.

    A state's event id is its version; a reader that missed versions gets the latest state, which
    carries everything the missed ones did (states only grow more decided).
    """
    sent = last_id or 0
    with hub.watch(key) as changed:
        while True:
            await hub.listen((key,), 3 * ping_s)  # renewed at least every ping
            changed.clear()  # before the read, never after it: a change during the read sets it again
            record = await read()
            now = clock.now_ms()
            current = event_id(record, now)
            if current > sent:
                sent = current
                yield Frame(event_id=current, record=record)
            if not is_open(record, now) or hub.closing:
                return
            until_deadline = (deadline_ms(record) - now) / 1000
            if not await wait_signal(changed, min(ping_s, max(until_deadline, 0.0))) and ping_s <= until_deadline:
                yield Frame()


def interrupt_frames(
    store: InterruptStore, hub: WaiterHub, clock: Clock, interrupt_id: str, last_id: int | None, ping_s: float
) -> AsyncIterator[Frame[Interrupt]]:
    """An interrupt's states, rebuilt from its hash.

    Version 1 is the creation and the only later one is terminal, so a client resuming with
    `Last-Event-ID` gets exactly what it missed.
    """
    return state_frames(
        hub,
        interrupt_id,
        lambda: store.get(interrupt_id),
        event_id_of,
        lambda record, now: record.status_at(now) == machine.PENDING,
        lambda record: record.expires_at,
        clock,
        last_id,
        ping_s,
    )


def loop_version(loop: Loop, now_ms: int) -> int:
    """A loop's version as a reader sees it: a timeout not yet recorded is the next version."""
    due = loop.status == loops.PENDING and loop.at(now_ms).status != loops.PENDING
    return loop.version + 1 if due else loop.version


def loop_frames(
    store: LoopStore, hub: WaiterHub, clock: Clock, loop_id: str, last_id: int | None, ping_s: float
) -> AsyncIterator[Frame[Loop]]:
    """A loop's states: one per resolve, ending once it is decided (each state carries every promise)."""
    return state_frames(
        hub,
        loop_id,
        lambda: store.get(loop_id),
        loop_version,
        lambda loop, now: loop.at(now).status == loops.PENDING,
        lambda loop: loop.deadline,
        clock,
        last_id,
        ping_s,
    )


async def list_frames(
    hub: WaiterHub,
    read: Callable[[], Awaitable[list[T]]],
    keys_of: Callable[[list[T]], set[str]],
    deadline_ms: Callable[[list[T]], int | None],
    clock: Clock,
    ping_s: float,
    *,
    min_gap_s: float = 0.0,
) -> AsyncGenerator[Frame[list[T]], None]:
    """A list now and again after each change (a ping frame when idle), until the process stops.

    Woken by any key of `keys_of(list)` (re-registered after each read, then read again when a key
    is new, so nothing between the read and the registration is missed) or at the list's earliest
    deadline, when an item reads differently without anything being published. A new key's marker
    is set when it is registered, and every marker is renewed at least once a ping. After a frame the next
    read waits `min_gap_s`, so a burst of changes costs one read and one frame, not one each.
    """
    loop = asyncio.get_running_loop()
    last: list[T] | None = None
    version = 0
    sent_at, renew_at = -min_gap_s, 0.0
    with hub.watch_many() as watch:
        while not hub.closing:
            if (gap := sent_at + min_gap_s - loop.time()) > 0:
                await asyncio.sleep(gap)  # changes meanwhile set the event; the read below sees them all
            watch.event.clear()
            items = await read()
            added = watch.track(keys_of(items))
            if loop.time() >= renew_at:  # busy or idle, every marker is renewed at least every ping
                await hub.listen(watch.keys, 3 * ping_s)
                renew_at = loop.time() + ping_s
            elif added:
                await hub.listen(added, 3 * ping_s)
            if added:
                continue
            if items != last:
                version += 1
                last = items
                sent_at = loop.time()
                yield Frame(version, items)
            ping_at = loop.time() + ping_s
            while not hub.closing:
                due = deadline_ms(items)
                until_due = ping_s if due is None else (due - clock.now_ms() + 5) / 1000
                seconds = min(ping_at - loop.time(), until_due)
                if await wait_signal(watch.event, max(seconds, 0)) or until_due <= seconds:
                    break
                yield Frame()
                await hub.listen(watch.keys, 3 * ping_s)
                ping_at = renew_at = loop.time() + ping_s
