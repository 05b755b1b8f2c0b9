"""The waits: a change published while a waiter's read is in flight still wakes it.

Redis can run the decide script just after it answered the waiter's read; the publication may then
reach the process before the waiting coroutine resumes. A waiter that cleared its signal after
that read slept through the change: 1 to 2 % of cross-process long-polls waited out their full
`?wait=N` (found by a CI run and a 1,500-round reproduction). Here the hub is fed by hand, so the
timing is exact.
"""

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import pytest

from service.clock import FrozenClock
from service.waiting.hub import WaiterHub
from service.waiting.streams import state_frames, wait_for_change

KEY = "int_race"
FAR = 10**15  # a deadline nobody reaches


@dataclass(frozen=True)
class Record:
    """What a read returns: the version and whether it is still pending."""

    version: int
    pending: bool


@dataclass
class Racing:
    """A watched record that reads pending until the change, published while read #`racing_read` is in flight."""

    hub: WaiterHub
    racing_read: int
    calls: list[int]
    key: str = KEY

    async def read(self) -> Record:
        self.calls.append(len(self.calls) + 1)
        if len(self.calls) == self.racing_read:
            self.hub.notify(KEY)  # the publication arrives before the reader resumes with its (older) answer
            return Record(1, True)
        return Record(2, False) if len(self.calls) > self.racing_read else Record(1, True)

    def is_open(self, record: Record, now_ms: int) -> bool:
        return record.pending

    def deadline_ms(self, record: Record) -> int:
        return FAR

    def version(self, record: Record, now_ms: int) -> int:
        return record.version


@pytest.mark.timeout(30)
async def test_a_long_poll_wakes_for_a_change_published_during_its_read() -> None:
    hub = WaiterHub()
    calls: list[int] = []
    waited = wait_for_change(hub, Racing(hub, 2, calls), FrozenClock(), 60)
    record = await asyncio.wait_for(waited, 10)  # before the fix: asleep for the whole 60 s
    assert record == Record(2, False) and calls == [1, 2, 3]


@pytest.mark.timeout(30)
async def test_a_stream_sends_a_change_published_during_its_read() -> None:
    hub = WaiterHub()
    calls: list[int] = []
    frames = state_frames(hub, Racing(hub, 1, calls), FrozenClock(), last_id=None, ping_s=60)
    first = await asyncio.wait_for(anext(frames), 10)
    second = await asyncio.wait_for(anext(frames), 10)  # before the fix: only at the next ping, 60 s later
    assert (first.event_id, second.event_id) == (1, 2)
    assert isinstance(frames, AsyncGenerator)
    await frames.aclose()
