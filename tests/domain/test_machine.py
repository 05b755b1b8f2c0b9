"""The interrupt state machine in plain Python: statuses as their text, expiry on read, the transition table."""

import pytest

from service.domain import machine
from service.domain.machine import Action, Verdict


def test_statuses_are_their_wire_text_and_every_one_but_pending_is_terminal() -> None:
    assert [f"{s}" for s in machine.STATUSES] == ["pending", "approved", "rejected", "expired", "cancelled"]
    assert set(machine.TERMINAL) == set(machine.STATUSES) - {machine.PENDING}
    assert all(machine.is_terminal(s) for s in machine.TERMINAL) and not machine.is_terminal(machine.PENDING)


def test_a_pending_interrupt_reads_expired_from_its_deadline_on() -> None:
    assert machine.effective_status(machine.PENDING, 1000, 999) == machine.PENDING
    assert machine.effective_status(machine.PENDING, 1000, 1000) == machine.EXPIRED
    assert machine.effective_status(machine.APPROVED, 1000, 5000) == machine.APPROVED  # decided stays decided


@pytest.mark.parametrize(
    ("status", "action", "now", "expected"),
    [
        (machine.PENDING, Action.APPROVE, 10, (Verdict.APPLIED, machine.APPROVED)),
        (machine.PENDING, Action.CANCEL, 10, (Verdict.APPLIED, machine.CANCELLED)),
        (machine.PENDING, Action.APPROVE, 100, (Verdict.CONFLICT, machine.EXPIRED)),  # late: the expiry wins
        (machine.PENDING, Action.EXPIRE, 10, (Verdict.NOT_DUE, machine.PENDING)),
        (machine.PENDING, Action.EXPIRE, 100, (Verdict.APPLIED, machine.EXPIRED)),
        (machine.REJECTED, Action.APPROVE, 10, (Verdict.CONFLICT, machine.REJECTED)),
        (machine.CANCELLED, Action.EXPIRE, 100, (Verdict.CONFLICT, machine.CANCELLED)),
    ],
)
def test_transitions(status: str, action: Action, now: int, expected: tuple[Verdict, str]) -> None:
    assert machine.transition(status, action, 100, now) == expected


def test_time_to_decision_buckets_grow() -> None:
    assert list(machine.TTD_BUCKETS_MS) == sorted(set(machine.TTD_BUCKETS_MS))
