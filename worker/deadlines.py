"""Deadlines into transitions: a precise sweep of the deadline index, and keyspace notifications as a fast path.

The sweep sleeps until the earliest deadline (at most 250 ms), so an expiry is recorded within
milliseconds of it even if every notification is lost; the keyspace notifications (lossy, and late
under load) only help when an interrupt with an earlier deadline arrives mid-sleep.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from service.clock import Clock
from service.domain.errors import StoreUnavailable
from service.store.interrupts import InterruptStore

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 0.25
BATCH = 256

Expire = Callable[[str], Awaitable[object]]


class DeadlineSweeper:
    """Expires every interrupt whose deadline has passed, in batches, then sleeps until the next one."""

    def __init__(self, interrupts: InterruptStore, clock: Clock, *, on_tick: Callable[[], Awaitable[None]]) -> None:
        self._interrupts = interrupts
        self._clock = clock
        self._on_tick = on_tick
        self.expired = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until `stop` is set."""
        while not stop.is_set():
            try:
                pause = await self.sweep_once()
                await self._on_tick()
            except StoreUnavailable:
                log.warning("deadlines: Redis unavailable; retrying")
                pause = SWEEP_EVERY_S
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def sweep_once(self) -> float:
        """Expire one batch of due interrupts; how long to sleep before the next sweep."""
        now = self._clock.now_ms()
        due = await self._interrupts.due(now, limit=BATCH)
        if due:
            done = await asyncio.gather(*(self._interrupts.expire(i) for i in due))
            self.expired += sum(1 for d in done if d is not None)
            if len(due) == BATCH:
                return 0.0
        upcoming = await self._interrupts.next_deadline()
        if upcoming is None:
            return SWEEP_EVERY_S
        return min(SWEEP_EVERY_S, max(0.0, (upcoming - self._clock.now_ms()) / 1000))
