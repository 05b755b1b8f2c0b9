"""Loops (the intheloop.run model): N participants, one promise each, one outcome decided by a policy.

A policy is a quorum k of accepts: `all` is k = n (the original rule), `any` is k = 1. The
outcome is declared as soon as it is certain — k accepts, or too few promises left open to reach
k — and the remaining promises are then closed. `service/store/lua/_loop.lua` applies the same
rule atomically; `tests/store/test_loops_parity.py` checks they agree.
"""

import enum

import msgspec


class LoopStatus(enum.StrEnum):
    """A loop's status (stored and sent as its text)."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class PromiseState(enum.StrEnum):
    """A participant's promise: open, answered, timed out, or closed once the loop was decided."""

    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    TIMED_OUT = "REJECTED_TIMEDOUT"
    CANCELLED = "CANCELLED"


PENDING, ACCEPTED, REJECTED = LoopStatus.PENDING, LoopStatus.ACCEPTED, LoopStatus.REJECTED
RESOLVED, TIMED_OUT, CANCELLED = PromiseState.RESOLVED, PromiseState.TIMED_OUT, PromiseState.CANCELLED


def quorum(policy: str, n: int) -> int:
    """The accepts needed under `policy` (`all`, `any` or `quorum:k`) with n participants."""
    if policy == "all":
        return n
    if policy == "any":
        return 1
    return int(policy.removeprefix("quorum:"))


def outcome(k: int, n: int, accepts: int, refusals: int) -> str:
    """ACCEPTED once k accepted, REJECTED once k is out of reach (refusals are rejects and timeouts)."""
    if accepts >= k:
        return ACCEPTED
    if accepts + (n - accepts - refusals) < k:
        return REJECTED
    return PENDING


def message(policy: str, k: int, status: str, cause: str) -> str:
    """The sentence for a decided loop, from its policy and what decided it (accepted, rejected, timedout)."""
    if status == ACCEPTED:
        return {"all": "all participants accepted", "any": "a participant accepted"}.get(
            policy, f"quorum of {k} accepts reached"
        )
    if policy == "all":
        return "participant timed out" if cause == "timedout" else "participant rejected"
    if policy == "any":
        return "no participant accepted"
    return f"quorum of {k} accepts can no longer be reached"


def links(base_url: str, promise_id: str) -> tuple[str, str]:
    """A participant's accept and reject links (in the create response and in the invitation email)."""
    link = f"{base_url}/v1/loop/participant/resolve/{promise_id}"
    return f"{link}?accept=true", f"{link}?accept=false"


class NewLoop(msgspec.Struct, frozen=True, kw_only=True):
    """A validated request to create a loop."""

    name: str
    description: str
    participants: tuple[str, ...]
    timeout_ms: int
    policy: str = "all"
    callback_url: str | None = None


class Participant(msgspec.Struct, frozen=True, kw_only=True):
    """One participant's promise as stored."""

    email: str
    promise_id: str
    state: str
    accept: bool | None
    decided_at: int | None = None
    invitation: str | None = None  # pending|sent|retrying|failed|skipped when invited by email
    invitation_attempts: int = 0


class Loop(msgspec.Struct, frozen=True, kw_only=True):
    """One stored loop."""

    id: str
    name: str
    description: str
    timeout_ms: int
    policy: str
    status: str
    message: str | None
    created_at: int
    deadline: int
    version: int
    participants: tuple[Participant, ...]
    callback_url: str | None = None

    def at(self, now_ms: int) -> "Loop":
        """The loop as a reader sees it at `now_ms`: past its deadline, open promises read timed out."""
        if self.status != PENDING or now_ms < self.deadline:
            return self
        parts = tuple(
            msgspec.structs.replace(p, state=TIMED_OUT, accept=False) if p.state == PENDING else p
            for p in self.participants
        )
        return msgspec.structs.replace(
            self, status=REJECTED, participants=parts, message=message(self.policy, self.k, REJECTED, "timedout")
        )

    def version_seen_at(self, now_ms: int) -> int:
        """The version a reader sees: a timeout not yet recorded is the next version, as it will be once recorded."""
        due = self.status == PENDING and self.at(now_ms).status != PENDING
        return self.version + 1 if due else self.version

    @property
    def k(self) -> int:
        """The accepts this loop needs."""
        return quorum(self.policy, len(self.participants))
