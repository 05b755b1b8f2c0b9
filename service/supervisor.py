"""Keeps `interlock serve`'s own children running: the embedded Redis and the worker, started again if they exit.

Under `interlock serve` nothing else watches them: a killed Redis would leave the API answering
503 until someone restarted the whole server, and a dead worker would silently stop webhooks and
expiries. Each check runs every CHECK_EVERY_S; a child that keeps failing is retried with a
growing pause (BACKOFF_S), and one that then runs for STABLE_S counts as healthy again.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
CHECK_EVERY_S = 0.5
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # pause after the 1st, 2nd, … failed run in a row
STABLE_S = 30.0


@dataclass
class Child:
    """One supervised child: how to tell it is alive and how to start it again."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], Any]
    failures: int = 0  # exits in a row without a stable run between them
    started_at: float = 0.0
    next_try: float = 0.0


class Supervisor:
    """Checks its children on a daemon thread (the main thread is the HTTP server's) and restarts dead ones."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._children: list[Child] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, name: str, alive: Callable[[], bool], restart: Callable[[], Any]) -> None:
        """Supervise one child, checked in the order watched (Redis before the worker that needs it)."""
        self._children.append(Child(name, alive, restart, started_at=self._clock()))

    def check(self) -> None:
        """One round: restart every child found dead whose pause is over."""
        now = self._clock()
        for child in self._children:
            if child.alive():
                if child.failures and now - child.started_at >= STABLE_S:
                    child.failures = 0
                continue
            if now < child.next_try:
                continue
            log.error("%s exited; starting it again", child.name)
            try:
                child.restart()
            except Exception:
                log.exception("%s could not be started again", child.name)
            child.started_at = now
            child.next_try = now + BACKOFF_S[min(child.failures, len(BACKOFF_S) - 1)]
            child.failures += 1

    def start(self) -> None:
        """Begin checking in the background."""
        self._thread = threading.Thread(target=self._run, name="interlock-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking (before the children are stopped on purpose), waiting for a restart under way."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            self.check()
