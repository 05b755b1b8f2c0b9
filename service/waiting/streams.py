"""The waits built on the hub: a long-poll for one change, a record's stream of states, and a list's stream.

Each registers with the hub first, then reads, and re-reads after every wake-up; a signal is
cleared before a read, never after it, so a change published while a read is in flight sets it
again and is seen on the next turn. Each also wakes at the watched thing's deadline, when it reads
differently without anything being published.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from service.clock import Clock
from service.waiting.hub import WaiterHub, wait_signal
from service.waiting.watched import Watched, WatchedList

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Frame(Generic[T]):
    """One thing to send on a stream: a state with its event id, or (record None) a keep-alive ping."""

    event_id: int | None = None
    record: T | None = None


async def wait_for_change(hub: WaiterHub, watched: Watched[T], clock: Clock, seconds: float) -> T:
    """The record once it is no longer open, or as it is after `seconds` (read errors raise before waiting)."""
    record = await watched.read()
    if not watched.is_open(record, clock.now_ms()):
        return record
    loop = asyncio.get_running_loop()
    give_up = loop.time() + seconds
    with hub.watch(watched.key) as changed:
        await hub.listen((watched.key,), seconds)
        record = await watched.read()  # registered first, then read: nothing slips between
        while watched.is_open(record, clock.now_ms()) and not hub.closing:
            remaining = min(give_up - loop.time(), (watched.deadline_ms(record) - clock.now_ms()) / 1000)
            if remaining <= 0:
                break
            if await wait_signal(changed, remaining) and not hub.closing:
                changed.clear()
                await hub.listen((watched.key,), give_up - loop.time())  # a restarted Redis may have lost the marker
            record = await watched.read()
    return record


async def state_frames(
    hub: WaiterHub, watched: Watched[T], clock: Clock, last_id: int | None, ping_s: float
) -> AsyncIterator[Frame[T]]:
    """The current state (unless `last_id` already has it), then each change, ending once closed.

    A state's event id is its version; a reader that missed versions gets the latest state, which
    carries everything the missed ones did (states only grow more decided).
    """
    sent = last_id or 0
    with hub.watch(watched.key) as changed:
        while True:
            await hub.listen((watched.key,), 3 * ping_s)  # renewed at least every ping
            changed.clear()
            record = await watched.read()
            now = clock.now_ms()
            current = watched.version(record, now)
            if current > sent:
                sent = current
                yield Frame(event_id=current, record=record)
            if not watched.is_open(record, now) or hub.closing:
                return
            until_deadline = (watched.deadline_ms(record) - now) / 1000
            if not await wait_signal(changed, min(ping_s, max(until_deadline, 0.0))) and ping_s <= until_deadline:
                yield Frame()


async def list_frames(
    hub: WaiterHub, watched: WatchedList[T], clock: Clock, ping_s: float, *, min_gap_s: float = 0.0
) -> AsyncGenerator[Frame[list[T]], None]:
    """A list now and again after each change (a ping frame when idle), until the process stops.

    Woken by any key of the list (re-registered after each read, then read again when a key is new,
    so nothing between the read and the registration is missed) or at the list's earliest deadline.
    A new key's marker is set when it is registered, and every marker is renewed at least once a
    ping. After a frame the next read waits `min_gap_s`, so a burst of changes costs one read and
    one frame, not one each.
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
            items = await watched.read()
            added = watch.track(watched.keys_of(items))
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
                due = watched.deadline_ms(items)
                until_due = ping_s if due is None else (due - clock.now_ms() + 5) / 1000
                seconds = min(ping_at - loop.time(), until_due)
                if await wait_signal(watch.event, max(seconds, 0)) or until_due <= seconds:
                    break
                yield Frame()
                await hub.listen(watch.keys, 3 * ping_s)
                ping_at = renew_at = loop.time() + ping_s
