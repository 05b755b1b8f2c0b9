"""Users' pending lists as the inbox feeds of this process see them: one watcher per user, however many feeds.

Every open feed of a user subscribes to the same source, which follows the user's `PendingList`
(re-read once per change, at most once per `min_gap_s`) and wakes them all.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator

from service.clock import Clock
from service.domain.models import Interrupt
from service.store.interrupts import InterruptStore
from service.waiting.hub import Signal, WaiterHub, wait_signal
from service.waiting.streams import Frame, list_frames
from service.waiting.watched import FETCH_BATCH, PendingList

MIN_GAP_S = 0.25  # a list is re-read at most four times a second: a burst of changes costs one read
WAKE_BATCH, WAKE_PAUSE_S = 8, 0.002  # feeds woken back to back, then a pause: 100 feeds take ~25 ms
Prepare = Callable[[list[Interrupt]], Awaitable[None]]  # work done on each new list before its feeds wake


async def _nothing(records: list[Interrupt]) -> None:
    """No preparation."""


class InboxSource:
    """One user's list, kept current by one watcher task while any feed subscribes."""

    def __init__(self, frames: AsyncGenerator[Frame[list[Interrupt]], None], prepare: Prepare = _nothing) -> None:
        self.version = 0
        self.records: list[Interrupt] = []
        self.subscribers: set[Signal] = set()
        self.failure: BaseException | None = None
        self.done = False
        self._prepare = prepare
        self._task = asyncio.create_task(self._follow(frames), name="interlock-inbox")

    async def _follow(self, frames: AsyncGenerator[Frame[list[Interrupt]], None]) -> None:
        try:
            async for frame in frames:
                if frame.record is not None:
                    await self._prepare(frame.record)
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
        """Wake the feeds one per event-loop turn, pausing after each WAKE_BATCH.

        Requests that arrive meanwhile are served between them, and a change reaching many feeds is
        sent over a few milliseconds instead of in one burst that holds every core at once.
        """
        for n, signal in enumerate(list(self.subscribers), 1):
            signal.set()
            await asyncio.sleep(WAKE_PAUSE_S if n % WAKE_BATCH == 0 else 0)

    def stop(self) -> None:
        """Stop watching (the last feed has gone)."""
        self._task.cancel()


class InboxSources:
    """The sources of this process, by user: made by the first feed of a user, stopped with its last."""

    def __init__(
        self,
        hub: WaiterHub,
        store: InterruptStore,
        clock: Clock,
        *,
        ping_s: float,
        min_gap_s: float = MIN_GAP_S,
        prepare: Prepare = _nothing,
    ) -> None:
        self._hub = hub
        self._prepare = prepare
        self._store = store
        self._clock = clock
        self._ping_s = ping_s
        self._min_gap_s = min_gap_s
        self._sources: dict[str, InboxSource] = {}

    def _start(self, user_id: str) -> InboxSource:
        pending = PendingList(self._store, self._clock, user_id, fetch_batch=FETCH_BATCH)
        frames = list_frames(self._hub, pending, self._clock, self._ping_s, min_gap_s=self._min_gap_s)
        return InboxSource(frames, self._prepare)

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
