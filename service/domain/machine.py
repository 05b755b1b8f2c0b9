"""The interrupt state machine in plain Python: the readable spec that the Lua scripts implement.

A parity test runs every (state, action) pair through this module and the scripts and compares.
"""

import enum
from typing import Final


class Status(enum.StrEnum):
    """An interrupt's status (stored, sent and compared as its text)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


PENDING: Final = Status.PENDING
APPROVED: Final = Status.APPROVED
REJECTED: Final = Status.REJECTED
EXPIRED: Final = Status.EXPIRED
CANCELLED: Final = Status.CANCELLED
STATUSES: Final = (PENDING, APPROVED, REJECTED, EXPIRED, CANCELLED)
DECISIONS: Final = (APPROVED, REJECTED)
TERMINAL: Final = (APPROVED, REJECTED, EXPIRED, CANCELLED)  # every status but pending: none changes again
# time from create to a decision, counted per bucket (ms) by the transition scripts for /metrics
TTD_BUCKETS_MS: Final = (1000, 5000, 15000, 60000, 300000, 900000, 3600000, 14400000, 86400000)
URGENCIES: Final = ("low", "medium", "high")
TIMEOUT_BY: Final = "timeout"  # who decided an `onTimeout` outcome (`decidedBy`, and the channel)
TIMEOUT_REASON: Final = "no decision before the deadline"  # its reason


class Action(enum.StrEnum):
    """What can be done to an interrupt."""

    APPROVE = "approved"
    REJECT = "rejected"
    CANCEL = "cancel"
    EXPIRE = "expire"


class Verdict(enum.StrEnum):
    """How a transition attempt ends."""

    APPLIED = "ok"  # the action took effect
    CONFLICT = "conflict"  # the interrupt is terminal; nothing changed (beyond a due expiry)
    NOT_DUE = "notdue"  # expire before the deadline: nothing to do


def is_terminal(status: str) -> bool:
    """True for every status but pending (the TERMINAL ones)."""
    return status in TERMINAL


def effective_status(status: str, expires_at_ms: int, now_ms: int, on_timeout: str | None = None) -> str:
    """The status a reader must see: from its deadline on, a pending interrupt reads expired (or `on_timeout`)."""
    if status == PENDING and now_ms >= expires_at_ms:
        return on_timeout or EXPIRED
    return status


def transition(
    status: str, action: Action, expires_at_ms: int, now_ms: int, on_timeout: str | None = None
) -> tuple[Verdict, str]:
    """Apply `action` at `now_ms`; return the verdict and the stored status afterwards.

    A pending interrupt past its deadline ends first, whatever the action — expired, or decided as
    its `on_timeout` says — so a late decide or cancel conflicts with that outcome, which is recorded.
    """
    current = effective_status(status, expires_at_ms, now_ms, on_timeout)
    if action is Action.EXPIRE:
        if status == PENDING and current != PENDING:
            return Verdict.APPLIED, current
        return (Verdict.NOT_DUE if status == PENDING else Verdict.CONFLICT), status
    if current != PENDING:
        return Verdict.CONFLICT, current
    if action is Action.CANCEL:
        return Verdict.APPLIED, CANCELLED
    return Verdict.APPLIED, action.value
