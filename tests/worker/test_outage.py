"""The worker's Redis outages in the log: once at the start, a reminder every REPEAT_S, once at the end."""

import logging

import pytest

from service.domain.errors import StoreUnavailable
from worker.outage import REPEAT_S, OutageLog


def test_an_outage_is_logged_once_then_reminded_then_closed(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outage = OutageLog("deadlines", logging.getLogger("test.outage"), clock=lambda: now[0])
    caplog.set_level(logging.WARNING, "test.outage")
    outage.ok()  # nothing to report while all is well
    for _ in range(400):  # 100 s of retries every 0.25 s
        outage.failed(StoreUnavailable("the state store is out of memory"), 0.25)
        now[0] += 0.25
    outage.ok()
    outage.ok()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 + int(100 // REPEAT_S) + 1, lines
    assert lines[0] == (
        "deadlines: Service temporarily unavailable: the state store is out of memory; retrying every 0.25s"
    )
    assert lines[1].startswith(f"deadlines: still failing after {REPEAT_S:.0f}s")
    assert lines[-1] == "deadlines: Redis is back after 100.0s"
