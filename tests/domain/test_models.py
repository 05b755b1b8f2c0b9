"""The interrupt record's read rules: the status and version a reader sees, who decided, webhook ids."""

from service.domain import machine
from service.domain.models import Actor, Interrupt, webhook_id


def interrupt(**changes: object) -> Interrupt:
    """A pending interrupt created at 0 with its deadline at 1000, version 1."""
    fields: dict[str, object] = {
        "id": "i-1", "agent_id": "a", "user_id": "u", "action": "pay", "context": "{}", "urgency": "low",
        "status": machine.PENDING, "created_at": 0, "expires_at": 1000, "version": 1,
    }  # fmt: skip
    return Interrupt(**(fields | changes))  # type: ignore[arg-type]


def test_a_pending_interrupt_reads_expired_and_one_version_on_from_its_deadline() -> None:
    record = interrupt()
    assert (record.status_at(999), record.version_seen_at(999), record.final_version(999)) == ("pending", 1, None)
    assert (record.status_at(1000), record.version_seen_at(1000), record.final_version(1000)) == ("expired", 2, 2)


def test_a_recorded_outcome_is_its_own_version_whenever_it_is_read() -> None:
    expired = interrupt(status=machine.EXPIRED, version=2)
    decided = interrupt(status=machine.APPROVED, version=2, decision="approved", ended_by=Actor(by="ann", via="api"))
    for record in (expired, decided):
        assert [record.version_seen_at(t) for t in (10, 5000)] == [2, 2]
        assert record.final_version(10) == 2


def test_only_a_decision_names_who_decided() -> None:
    approved = interrupt(status=machine.APPROVED, decision="approved", ended_by=Actor(by="ann", via="inbox"))
    cancelled = interrupt(status=machine.CANCELLED, ended_by=Actor(by="agent-key", via="api"))
    assert approved.decided_by == "ann"
    assert cancelled.decided_by is None  # a cancel ends it but decides nothing
    assert interrupt(status=machine.EXPIRED).decided_by is None


def test_a_webhook_id_is_the_same_for_every_attempt_of_one_version() -> None:
    assert webhook_id("i-1", 2) == webhook_id("i-1", 2) == "msg_i-1_2"
    assert webhook_id("i-1", 3) != webhook_id("i-1", 2)
