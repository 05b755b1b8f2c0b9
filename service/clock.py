"""Time as an injected dependency: the Clock protocol, the system clock, a frozen clock for tests."""

import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time in epoch milliseconds."""

    def now_ms(self) -> int:
        """Return the current time in milliseconds since the epoch."""
        ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        """Return the wall-clock time in epoch milliseconds."""
        return time.time_ns() // 1_000_000


class FrozenClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start_ms: int | None = None) -> None:
        # Start at the real time by default: Redis TTLs run on the server's clock.
        self._now = SystemClock().now_ms() if start_ms is None else start_ms

    def now_ms(self) -> int:
        """Return the frozen time."""
        return self._now

    def advance(self, ms: int) -> None:
        """Move the clock forward by `ms` milliseconds."""
        self._now += ms

    def set(self, ms: int) -> None:
        """Jump to an absolute time."""
        self._now = ms


def iso_ms(epoch_ms: int) -> str:
    """Format epoch milliseconds as ISO-8601 UTC with milliseconds and `Z` (the wire format)."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_iso_seconds(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=8192)
def _iso_seconds(seconds: int) -> str:
    # Hot path of every response: timestamps repeat within a second, so formatting is cached.
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def utc_text(ms: int) -> str:
    """Epoch milliseconds as a short human UTC time, e.g. `2026-11-22 12:00 UTC` (pages, emails)."""
    return _utc_minute(ms // 60_000)


@lru_cache(maxsize=8192)
def _utc_minute(minute: int) -> str:
    # Every review page shows two or three of these; they repeat within a minute, so formatting is cached.
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%d %H:%M UTC")
