"""Deadlines into transitions: a precise sweep of the deadline index, and keyspace notifications as a fast path.

The sweep sleeps until the earliest deadline (at most 250 ms), so an expiry is recorded within
milliseconds of it even if every notification is lost; the keyspace notifications (lossy, and late
under load) only help when an interrupt with an earlier deadline arrives mid-sleep.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from service.clock import Clock
from service.domain.errors import StoreUnavailable
from worker.outage import OutageLog

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 0.25
BATCH = 256


class Deadlines(Protocol):
    """A kind of record with deadlines: interrupts, loops."""

    def due(self, now_ms: int, *, limit: int) -> Awaitable[list[str]]:
        """Ids whose deadline has passed."""
        ...

    def expire(self, record_id: str, /) -> Awaitable[object]:
        """Record the expiry (a compare-and-set: a no-op when something else ended it first)."""
        ...

    def next_deadline(self) -> Awaitable[int | None]:
        """The earliest deadline still pending (ms)."""
        ...


class DeadlineSweeper:
    """Expires every record whose deadline has passed, in batches, then sleeps until the next deadline."""

    def __init__(self, kinds: list[Deadlines], clock: Clock, *, on_tick: Callable[[], Awaitable[None]]) -> None:
        self._kinds = kinds
        self._clock = clock
        self._on_tick = on_tick

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until `stop` is set."""
        outage = OutageLog("deadlines", log)
        while not stop.is_set():
            try:
                pause = await self.sweep_once()
                await self._on_tick()
                outage.ok()
            except StoreUnavailable as exc:
                outage.failed(exc, SWEEP_EVERY_S)
                pause = SWEEP_EVERY_S
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def sweep_once(self) -> float:
        """Expire one batch of due records of each kind; how long to sleep before the next sweep."""
        pause = SWEEP_EVERY_S
        for kind in self._kinds:
            pause = min(pause, await self._sweep(kind))
        return pause

    async def _sweep(self, kind: Deadlines) -> float:
        now = self._clock.now_ms()
        due = await kind.due(now, limit=BATCH)
        if due:
            await asyncio.gather(*(kind.expire(i) for i in due))
            if len(due) == BATCH:
                return 0.0
        upcoming = await kind.next_deadline()
        if upcoming is None:
            return SWEEP_EVERY_S
        return min(SWEEP_EVERY_S, max(0.0, (upcoming - self._clock.now_ms()) / 1000))
