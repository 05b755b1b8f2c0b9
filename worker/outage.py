"""One log line when Redis becomes unavailable, a reminder at most every REPEAT_S, one when it is back.

The worker's loops retry every fraction of a second while Redis is down or refusing writes; a
warning per retry would bury everything else in the log.
"""

import logging
import time
from collections.abc import Callable

from service.domain.errors import StoreUnavailable

REPEAT_S = 30.0


class OutageLog:
    """The log of one retrying loop's Redis outages."""

    def __init__(self, what: str, log: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self._what = what
        self._log = log
        self._clock = clock
        self._since: float | None = None  # when the current outage began
        self._last = 0.0  # when it was last logged

    def failed(self, error: StoreUnavailable, retry_s: float) -> None:
        """A retry is coming after `error`: log it if the outage is new or was last logged REPEAT_S ago."""
        now = self._clock()
        if self._since is None:
            self._since = self._last = now
            self._log.warning("%s: %s; retrying every %.2fs", self._what, error, retry_s)
        elif now - self._last >= REPEAT_S:
            self._last = now
            self._log.warning("%s: still failing after %.0fs: %s", self._what, now - self._since, error)

    def ok(self) -> None:
        """A round went through: log the end of an outage, if there was one."""
        if self._since is not None:
            self._log.warning("%s: Redis is back after %.1fs", self._what, self._clock() - self._since)
            self._since = None
