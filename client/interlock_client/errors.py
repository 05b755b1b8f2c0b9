"""What the client raises: every error is an `InterlockError`.

InterlockError
├── ApiError              the API refused the request (carries `status`, `detail`, the problem JSON)
│   ├── BadRequest        400 or 422: a field breaks a rule (`field` names it)
│   ├── Unauthorized      401: no valid key
│   ├── Forbidden         403: the key's role may not do this
│   ├── NotFound          404: no such interrupt, loop or promise
│   └── Conflict          409: it is no longer pending (`current` holds the outcome when given)
├── Unavailable           the API could not be reached, or answered 5xx, for longer than the retry budget
├── WaitTimeout           a wait's own `timeout` passed while it was still pending
├── NotApproved           a `require_approval` call was not approved (carries the `Decision`)
│   ├── Rejected          a human rejected it (`reason`, `decided_by`)
│   ├── Expired           nobody decided before its deadline
│   └── Cancelled         it was cancelled
└── InvalidWebhook        a callback's signature is missing, wrong or stale
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlock_client.models import Decision


class InterlockError(Exception):
    """Base of everything the client raises."""


class ApiError(InterlockError):
    """The API answered with a problem (RFC 9457 JSON, which also carries its compat message)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.detail = str(problem.get("detail") or problem.get("error") or problem.get("message") or f"HTTP {status}")
        self.field: str | None = problem.get("field")
        self.retry_after: float | None = None  # seconds, from a 429's or 503's `Retry-After`
        super().__init__(f"HTTP {status}: {self.detail}")


class BadRequest(ApiError):
    """400 or 422: the request breaks a rule (`field` names the field when there is one)."""


class Unauthorized(ApiError):
    """401: the request carried no valid API key."""


class Forbidden(ApiError):
    """403: the key is valid but its role may not do this (an agent key cannot decide)."""


class NotFound(ApiError):
    """404: unknown id (or past retention)."""


class Conflict(ApiError):
    """409: the interrupt, loop or promise is no longer in a state that allows this."""

    @property
    def current(self) -> dict[str, Any] | None:
        """The outcome that won, when the API sent it."""
        current = self.problem.get("current")
        return current if isinstance(current, dict) else None


class Unavailable(InterlockError):
    """The API stayed unreachable (or kept answering 5xx) for longer than the client's retry budget."""


class WaitTimeout(InterlockError, TimeoutError):
    """`wait(..., timeout=…)` gave up while the interrupt or loop was still pending (it still is)."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"{subject_id} is still pending")


class NotApproved(InterlockError):
    """The guarded call did not get an approval; `decision` is what happened instead."""

    def __init__(self, decision: "Decision") -> None:
        self.decision = decision
        super().__init__(self._text())

    def _text(self) -> str:
        return f"interrupt {self.decision.id} is {self.decision.status}"


class Rejected(NotApproved):
    """A human rejected the call."""

    @property
    def reason(self) -> str | None:
        """The reviewer's reason, when they gave one."""
        return self.decision.reason

    @property
    def decided_by(self) -> str | None:
        """Who rejected it."""
        return self.decision.decided_by

    def _text(self) -> str:
        why = f": {self.decision.reason}" if self.decision.reason else ""
        return f"rejected by {self.decision.decided_by or 'a reviewer'}{why}"


class Expired(NotApproved):
    """Nobody decided before the interrupt's deadline."""


class Cancelled(NotApproved):
    """The interrupt was cancelled before anyone decided."""


class InvalidWebhook(InterlockError):
    """A callback whose Standard Webhooks signature is missing, does not match, or is too old."""


STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 422: BadRequest,
}  # fmt: skip
