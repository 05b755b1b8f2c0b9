"""Domain records as frozen msgspec Structs: what an interrupt is, independent of Redis and HTTP."""

from typing import Any

import msgspec

from service.domain.machine import PENDING, TIMEOUT_BY, TIMEOUT_REASON, effective_status


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who made a change and through which channel (`api`, `mcp`, `review-page`, `inbox`, `email`, `worker`)."""

    by: str | None
    via: str


API_ANONYMOUS = Actor(by="anonymous", via="api")  # who acts when auth is off and nobody says otherwise
TIMED_OUT = Actor(by=TIMEOUT_BY, via=TIMEOUT_BY)  # who made an `onTimeout` decision


class NewInterrupt(msgspec.Struct, frozen=True, kw_only=True):
    """A validated request to create an interrupt (context kept as the caller's JSON text)."""

    agent_id: str
    user_id: str
    action: str
    context: str
    urgency: str
    expires_in_ms: int
    callback_url: str | None = None
    reviewers: tuple[str, ...] = ()  # emails mailed their own signed review link
    on_timeout: str | None = None  # the decision made at the deadline when nobody decided (None: it expires)
    response_schema: str | None = None  # JSON Schema text of the typed answer a decision gives (domain/answers.py)
    remind_every_ms: int | None = None  # while pending, remind the reviewers this often
    escalate_after_ms: int | None = None  # if still pending this long after create, add escalate_to as reviewers
    escalate_to: tuple[str, ...] = ()
    slack_channel: str | None = None  # the Slack channel its request is posted to (and updated in)


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A validated human decision (modified_params kept as JSON text)."""

    decision: str
    reason: str | None = None
    modified_params: str | None = None
    actor: Actor = API_ANONYMOUS
    response: str | None = None  # the typed answer (JSON object text), for an interrupt with a responseSchema
    schema_sha: str | None = None  # SHA-1 of the responseSchema text `response` was checked against


class Interrupt(msgspec.Struct, frozen=True, kw_only=True):
    """One stored interrupt: the action an agent asked about and, once made, its decision."""

    id: str
    agent_id: str
    user_id: str
    action: str
    context: str
    urgency: str
    status: str
    created_at: int
    expires_at: int
    version: int
    decided_at: int | None = None
    decision: str | None = None
    reason: str | None = None
    modified_params: str | None = None
    callback_url: str | None = None
    created_by: Actor | None = None
    ended_by: Actor | None = None  # who decided or cancelled (None for an expiry)
    reviewers: tuple[str, ...] = ()
    on_timeout: str | None = None
    response_schema: str | None = None
    response: str | None = None
    slack_channel: str | None = None

    @property
    def decided_by(self) -> str | None:
        """Who made the decision, once there is one (an expiry or a cancel is not a decision)."""
        return self.ended_by.by if self.decision is not None and self.ended_by is not None else None

    def status_at(self, now_ms: int) -> str:
        """The status a reader sees at `now_ms` (pending past the deadline reads expired, or its `on_timeout`)."""
        return effective_status(self.status, self.expires_at, now_ms, self.on_timeout)

    def at(self, now_ms: int) -> "Interrupt":
        """The record as a reader sees it at `now_ms`: an `on_timeout` decision due but not yet recorded is filled in.

        It reads as the timeout transition will store it: decided at the deadline, by `timeout`.
        """
        if self.status != PENDING or self.on_timeout is None or now_ms < self.expires_at:
            return self
        return msgspec.structs.replace(
            self, status=self.on_timeout, decision=self.on_timeout, decided_at=self.expires_at,
            reason=TIMEOUT_REASON, ended_by=TIMED_OUT,
        )  # fmt: skip

    def version_seen_at(self, now_ms: int) -> int:
        """The version a reader sees: an expiry not yet recorded is the next version, as it will be once recorded."""
        due = self.status == PENDING and self.status_at(now_ms) != PENDING
        return self.version + 1 if due else self.version

    def final_version(self, now_ms: int) -> int | None:
        """The version of its terminal event, once it has one (an expiry not yet recorded gets the next)."""
        if self.status != PENDING:
            return self.version
        return self.version + 1 if self.status_at(now_ms) != PENDING else None


class HistoryEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One entry of an interrupt's history: what happened, when, who did it and through which channel."""

    at: int
    event: str  # created, review-link, review-mail, decided, expired, cancelled, webhook-attempt
    channel: str
    actor: str | None = None
    detail: dict[str, Any] | None = None


class PendingPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a user's pending interrupts, newest first, and the cursor to the next page."""

    items: list[Interrupt]
    next_cursor: str | None


class Analytics(msgspec.Struct, frozen=True, kw_only=True):
    """A user's counters, as maintained by the transitions."""

    total: int
    by_status: dict[str, int]
    by_urgency: dict[str, int]
    decided_count: int
    decided_ms_sum: int
    top_actions: list[tuple[str, int]]


def webhook_id(interrupt_id: str, version: int) -> str:
    """The id of one event's webhook: the same on every attempt and redelivery, so receivers can dedupe."""
    return f"msg_{interrupt_id}_{version}"


class Attempt(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One webhook attempt as the delivery log keeps it; `state` is the delivery's state after it."""

    webhook_id: str
    event: str
    attempt: int
    at: int
    status_code: int | None
    error: str | None
    duration_ms: int | None
    state: str
    next_attempt_at: int | None = None


class OutboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the worker sends: a webhook of an interrupt's or a loop's version, or their mails (`kind`).

    `manual` marks a redelivery asked through the API.
    """

    entry_id: str
    subject_id: str  # the interrupt's or the loop's id
    version: int
    manual: bool = False
    kind: str = "interrupt"  # its webhook; "loop": a loop's webhook; "invite", "review-mail": mails;
    # "reminder": reminder `number`'s mails and webhook; "escalation": review mails from reviewer `number` on
    number: int = 0
