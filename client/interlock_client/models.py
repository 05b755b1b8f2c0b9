"""What the client returns: plain frozen dataclasses read from the API's JSON."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def _time(text: Any) -> datetime | None:
    """An API timestamp (ISO 8601, UTC) as an aware datetime; None when absent."""
    return datetime.fromisoformat(text) if isinstance(text, str) else None


@dataclass(frozen=True, slots=True)
class Pending:
    """A created interrupt, waiting for a human."""

    id: str
    review_url: str
    expires_at: datetime

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "Pending":
        """From `POST /interrupts`'s answer."""
        return cls(id=data["interruptId"], review_url=data["reviewUrl"], expires_at=_time(data["expiresAt"]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Decision:
    """How an interrupt ended: approved or rejected by someone, expired, or cancelled."""

    id: str
    status: str  # approved, rejected, expired or cancelled
    decision: str | None
    reason: str | None
    modified_params: dict[str, Any] | None
    decided_by: str | None
    review_url: str
    decided_at: datetime | None
    response: dict[str, Any] | None = None  # the typed answer, for an interrupt created with a response_schema

    @property
    def approved(self) -> bool:
        """True only when a human approved it."""
        return self.status == "approved"


@dataclass(frozen=True, slots=True)
class Interrupt:
    """An interrupt as `GET /interrupts/{id}` reads it now."""

    id: str
    status: str
    action: str
    context: dict[str, Any]
    urgency: str
    created_at: datetime
    expires_at: datetime
    review_url: str
    decision: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    modified_params: dict[str, Any] | None = None
    decided_by: str | None = None
    response_schema: dict[str, Any] | None = None
    response: dict[str, Any] | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "Interrupt":
        """From the API's representation (a read, or an event of its stream)."""
        return cls(
            id=data["interruptId"],
            status=data["status"],
            action=data["action"],
            context=data["context"],
            urgency=data["urgency"],
            created_at=_time(data["createdAt"]),  # type: ignore[arg-type]
            expires_at=_time(data["expiresAt"]),  # type: ignore[arg-type]
            review_url=data["reviewUrl"],
            decision=data.get("decision"),
            decided_at=_time(data.get("decidedAt")),
            reason=data.get("reason"),
            modified_params=data.get("modifiedParams"),
            decided_by=data.get("decidedBy"),
            response_schema=data.get("responseSchema"),
            response=data.get("response"),
        )

    @property
    def pending(self) -> bool:
        """True while nobody has decided and its deadline has not passed."""
        return self.status == "pending"

    def outcome(self) -> Decision:
        """Its outcome (call once it is no longer pending)."""
        return Decision(
            id=self.id, status=self.status, decision=self.decision, reason=self.reason,
            modified_params=self.modified_params, decided_by=self.decided_by, review_url=self.review_url,
            decided_at=self.decided_at, response=self.response,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Participant:
    """One participant of a created loop and the two links that decide for them."""

    email: str
    promise_id: str
    accept_link: str
    reject_link: str


@dataclass(frozen=True, slots=True)
class Loop:
    """A created loop: hand each participant their links (or let Interlock mail them)."""

    loop_id: str
    name: str
    participants: tuple[Participant, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "Loop":
        """From `POST /v1/loop/create`'s `data.loop_data`."""
        people = tuple(
            Participant(email=p["email"], promise_id=p["promise_id"], accept_link=p["accept_link"],
                        reject_link=p["reject_link"])
            for p in data["participants"]
        )  # fmt: skip
        return cls(loop_id=data["loop_id"], name=data["loop_name"], participants=people)


@dataclass(frozen=True, slots=True)
class ParticipantResult:
    """How one participant's promise ended (`accept` None when it was closed unanswered)."""

    email: str
    promise_id: str
    accept: bool | None
    state: str  # RESOLVED, REJECTED_TIMEDOUT or CANCELLED


@dataclass(frozen=True, slots=True)
class LoopOutcome:
    """A decided loop: ACCEPTED or REJECTED, why, and every participant's result."""

    loop_id: str
    status: str
    message: str
    results: tuple[ParticipantResult, ...]

    @property
    def accepted(self) -> bool:
        """True when the loop's policy was met."""
        return self.status == "ACCEPTED"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "LoopOutcome":
        """From a decided loop's status `data` (its `result` set)."""
        result = data["result"]
        return cls(
            loop_id=data["loop_id"],
            status=result["status"],
            message=result["message"],
            results=tuple(ParticipantResult(email=r["email"], promise_id=r["promise_id"], accept=r["accept"],
                                            state=r["state"]) for r in result["results"]),
        )  # fmt: skip
