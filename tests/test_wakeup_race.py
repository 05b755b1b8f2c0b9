"""A change published while a waiter's read is in flight still wakes it (the lost wake-up of session 5).

Redis can run the decide script just after it answered the waiter's read; the publication may then
reach the process before the waiting coroutine resumes. A waiter that cleared its signal after
that read slept through the change: 1 to 2 % of cross-process long-polls waited out their full
`?wait=N` (found by a CI run and a 1,500-round reproduction). Here the hub is fed by hand, so the
timing is exact.
"""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from service.clock import FrozenClock
from service.events import WaiterHub, state_frames, wait_for_change

KEY = "int_race"
FAR = 10**15  # a deadline nobody reaches


@dataclass(frozen=True)
class Record:
    """What a read returns: the version and whether it is still pending."""

    version: int
    pending: bool


def fake_read(hub: WaiterHub, racing_read: int, calls: list[int]) -> Callable[[], Awaitable[Record]]:
    """A read that answers pending until the change, which is published while read #`racing_read` is in flight."""

    async def read() -> Record:
        calls.append(len(calls) + 1)
        if len(calls) == racing_read:
            hub.notify(KEY)  # the publication arrives before the reader resumes with its (older) answer
            return Record(1, True)
        return Record(2, False) if len(calls) > racing_read else Record(1, True)

    return read


@pytest.mark.timeout(30)
async def test_a_long_poll_wakes_for_a_change_published_during_its_read() -> None:
    hub = WaiterHub()
    calls: list[int] = []
    waited = wait_for_change(hub, KEY, fake_read(hub, 2, calls), lambda r: r.pending, lambda r: FAR, FrozenClock(), 60)
    record = await asyncio.wait_for(waited, 10)  # before the fix: asleep for the whole 60 s
    assert record == Record(2, False) and calls == [1, 2, 3]


@pytest.mark.timeout(30)
async def test_a_stream_sends_a_change_published_during_its_read() -> None:
    hub = WaiterHub()
    calls: list[int] = []
    frames = state_frames(
        hub, KEY, fake_read(hub, 1, calls), lambda r, now: r.version, lambda r, now: r.pending, lambda r: FAR,
        FrozenClock(), last_id=None, ping_s=60,
    )  # fmt: skip
    first = await asyncio.wait_for(anext(frames), 10)
    second = await asyncio.wait_for(anext(frames), 10)  # before the fix: only at the next ping, 60 s later
    assert (first.event_id, second.event_id) == (1, 2)
    assert isinstance(frames, AsyncGenerator)
    await frames.aclose()
