"""Users' pending lists as the inbox feeds of this process see them: one watcher per user, however many feeds.

A pending interrupt's listed fields never change while it is pending, so a list reads each record
once and afterwards only the user's index of ids. Every open feed of a user subscribes to the
same source, which re-reads once per change (at most once per `min_gap_s`) and wakes them all.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator

from service.clock import Clock
from service.domain import machine
from service.domain.models import Interrupt
from service.events import Frame, Signal, WaiterHub, list_frames, wait_signal
from service.store import keys
from service.store.interrupts import InterruptStore

MAX_LISTED = 200
MIN_GAP_S = 0.25  # a list is re-read at most four times a second: a burst of changes costs one read
URGENCY_RANK = {"high": 0, "medium": 1, "low": 2}


def ordered(records: list[Interrupt]) -> list[Interrupt]:
    """Most urgent first, then newest first."""
    return sorted(records, key=lambda r: (URGENCY_RANK.get(r.urgency, 3), -r.created_at, r.id))


class PendingList:
    """A user's newest pending interrupts, re-read as ids only; each record is fetched once."""

    def __init__(self, store: InterruptStore, clock: Clock, user_id: str) -> None:
        self._store = store
        self._clock = clock
        self._user_id = user_id
        self._records: dict[str, Interrupt] = {}

    async def read(self) -> list[Interrupt]:
        """The newest MAX_LISTED pending interrupts (none past their deadline), in inbox order."""
        ids = await self._store.newest_pending_ids(self._user_id, MAX_LISTED)
        missing = [i for i in ids if i not in self._records]
        fetched = {r.id: r for r in await self._store.get_many(missing)} if missing else {}
        records = {i: r for i in ids if (r := self._records.get(i) or fetched.get(i)) is not None}
        self._records = records
        now = self._clock.now_ms()
        return ordered([r for r in records.values() if r.status_at(now) == machine.PENDING])


class InboxSource:
    """One user's list, kept current by one watcher task while any feed subscribes."""

    def __init__(self, frames: AsyncGenerator[Frame[list[Interrupt]], None]) -> None:
        self.version = 0
        self.records: list[Interrupt] = []
        self.subscribers: set[Signal] = set()
        self.failure: BaseException | None = None
        self.done = False
        self._task = asyncio.create_task(self._follow(frames), name="interlock-inbox")

    async def _follow(self, frames: AsyncGenerator[Frame[list[Interrupt]], None]) -> None:
        try:
            async for frame in frames:
                if frame.record is not None:
                    self.version, self.records = frame.event_id or 0, frame.record
                    await self._wake_in_turn()
        except Exception as error:
            self.failure = error
        finally:
            await frames.aclose()
            self.done = True
            self._wake()

    def _wake(self) -> None:
        for signal in self.subscribers:
            signal.set()

    async def _wake_in_turn(self) -> None:
        """Wake the feeds one per event-loop turn: requests that arrive meanwhile are served between them."""
        for signal in list(self.subscribers):
            signal.set()
            await asyncio.sleep(0)

    def stop(self) -> None:
        """Stop watching (the last feed has gone)."""
        self._task.cancel()


class InboxSources:
    """The sources of this process, by user: made by the first feed of a user, stopped with its last."""

    def __init__(
        self, hub: WaiterHub, store: InterruptStore, clock: Clock, *, ping_s: float, min_gap_s: float = MIN_GAP_S
    ) -> None:
        self._hub = hub
        self._store = store
        self._clock = clock
        self._ping_s = ping_s
        self._min_gap_s = min_gap_s
        self._sources: dict[str, InboxSource] = {}

    def _start(self, user_id: str) -> InboxSource:
        frames = list_frames(
            self._hub,
            PendingList(self._store, self._clock, user_id).read,
            lambda records: {keys.user_topic(user_id), *(r.id for r in records)},
            lambda records: min((r.expires_at for r in records), default=None),
            self._clock,
            self._ping_s,
            min_gap_s=self._min_gap_s,
        )
        return InboxSource(frames)

    @contextlib.contextmanager
    def subscribe(self, user_id: str) -> Iterator[tuple[InboxSource, Signal]]:
        """The user's source and a signal it sets on each new version (and once it is done)."""
        source = self._sources.get(user_id)
        if source is None or source.done:
            source = self._sources[user_id] = self._start(user_id)
        signal = Signal()
        source.subscribers.add(signal)
        try:
            yield source, signal
        finally:
            source.subscribers.discard(signal)
            if not source.subscribers and self._sources.get(user_id) is source:
                del self._sources[user_id]
                source.stop()

    async def frames(self, user_id: str) -> AsyncGenerator[Frame[list[Interrupt]], None]:
        """The user's list whenever it changes (a ping frame after `ping_s` idle); ends with the source."""
        with self.subscribe(user_id) as (source, changed):
            seen = 0
            while True:
                changed.clear()  # before looking, never after: a version made meanwhile sets it again
                if source.version > seen:
                    seen = source.version
                    yield Frame(seen, source.records)
                if source.done:
                    if source.failure is not None:
                        raise source.failure
                    return
                if not await wait_signal(changed, self._ping_s):
                    yield Frame()
