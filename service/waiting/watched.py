"""What can be waited on: one record (an interrupt, a loop) or a list (a user's inbox), with what a wait needs of it.

A wait reads through `read`, is woken by changes of `key` (a list: of each of `keys_of`), and wakes
by itself at the deadline, when a record reads differently without anything being published.
"""

from dataclasses import dataclass
from typing import Protocol, TypeVar

from service.clock import Clock
from service.domain import loops, machine
from service.domain.loops import Loop
from service.domain.models import Interrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore

T = TypeVar("T")
MAX_LISTED = 200  # an inbox lists the newest this many pending interrupts
FETCH_BATCH = 16  # a watcher's records per round trip: a long list never blocks its process's loop in one piece
URGENCY_RANK = {"high": 0, "medium": 1, "low": 2}


class Watched(Protocol[T]):
    """One record a long-poll or a stream waits on."""

    @property
    def key(self) -> str:
        """The key whose changes are published (the record's id)."""

    async def read(self) -> T:
        """The record as stored now."""

    def is_open(self, record: T, now_ms: int) -> bool:
        """True while the record may still change (a wait for a change keeps waiting)."""

    def deadline_ms(self, record: T) -> int:
        """When the record reads differently without a change being published (its expiry)."""

    def version(self, record: T, now_ms: int) -> int:
        """The version a reader sees at `now_ms` (a stream's event id)."""


class WatchedList(Protocol[T]):
    """A list a stream follows: each item's changes, and the list's own key, wake it."""

    async def read(self) -> list[T]:
        """The list now."""

    def keys_of(self, items: list[T]) -> set[str]:
        """The keys whose changes may change this list."""

    def deadline_ms(self, items: list[T]) -> int | None:
        """When the list next reads differently without a change being published; None: never."""


@dataclass(frozen=True, slots=True)
class WatchedInterrupt:
    """An interrupt: open while pending, version 1 at creation and the terminal one after it."""

    store: InterruptStore
    interrupt_id: str

    @property
    def key(self) -> str:
        """The interrupt's id."""
        return self.interrupt_id

    async def read(self) -> Interrupt:
        """The stored interrupt (NotFound before any waiting)."""
        return await self.store.get(self.interrupt_id)

    def is_open(self, record: Interrupt, now_ms: int) -> bool:
        """Pending, and not past its deadline."""
        return record.status_at(now_ms) == machine.PENDING

    def deadline_ms(self, record: Interrupt) -> int:
        """Its expiry."""
        return record.expires_at

    def version(self, record: Interrupt, now_ms: int) -> int:
        """As the domain defines it."""
        return record.version_seen_at(now_ms)


@dataclass(frozen=True, slots=True)
class WatchedLoop:
    """A loop: open until decided or timed out, a version per resolve."""

    store: LoopStore
    loop_id: str

    @property
    def key(self) -> str:
        """The loop's id."""
        return self.loop_id

    async def read(self) -> Loop:
        """The stored loop (NotFound before any waiting)."""
        return await self.store.get(self.loop_id)

    def is_open(self, record: Loop, now_ms: int) -> bool:
        """Pending, and not past its deadline."""
        return record.at(now_ms).status == loops.PENDING

    def deadline_ms(self, record: Loop) -> int:
        """Its deadline."""
        return record.deadline

    def version(self, record: Loop, now_ms: int) -> int:
        """As the domain defines it."""
        return record.version_seen_at(now_ms)


def ordered(records: list[Interrupt]) -> list[Interrupt]:
    """Inbox order: most urgent first, then newest first."""
    return sorted(records, key=lambda r: (URGENCY_RANK.get(r.urgency, 3), -r.created_at, r.id))


class PendingList:
    """A user's newest pending interrupts (an inbox), re-read as ids only; each record is fetched once.

    A pending interrupt's listed fields never change while it is pending, so after the first read
    only the user's index of ids is read again, plus the records new to it.
    """

    def __init__(self, store: InterruptStore, clock: Clock, user_id: str, *, fetch_batch: int | None = None) -> None:
        self._store = store
        self._clock = clock
        self._user_id = user_id
        self._batch = fetch_batch  # None: every missing record in one round trip (a page answering one request)
        self._records: dict[str, Interrupt] = {}

    async def read(self) -> list[Interrupt]:
        """The newest MAX_LISTED pending interrupts (none past their deadline), in inbox order."""
        ids = await self._store.newest_pending_ids(self._user_id, MAX_LISTED)
        missing = [i for i in ids if i not in self._records]
        fetched: dict[str, Interrupt] = {}
        step = self._batch or len(missing) or 1
        for start in range(0, len(missing), step):
            fetched.update((r.id, r) for r in await self._store.get_many(missing[start : start + step]))
        records = {i: r for i in ids if (r := self._records.get(i) or fetched.get(i)) is not None}
        self._records = records
        now = self._clock.now_ms()
        return ordered([r for r in records.values() if r.status_at(now) == machine.PENDING])

    def keys_of(self, items: list[Interrupt]) -> set[str]:
        """The user's topic (a new interrupt for them) and each listed interrupt (it ends)."""
        return {keys.user_topic(self._user_id), *(r.id for r in items)}

    def deadline_ms(self, items: list[Interrupt]) -> int | None:
        """The first listed expiry."""
        return min((r.expires_at for r in items), default=None)
