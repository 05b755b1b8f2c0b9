"""The InterlockError tree: every failure the domain and store can report, with no HTTP in it.

The refusals only the HTTP layer makes (no key, a role, a host, a route, a body's size, time or
type) extend this tree in `service/asgi/refusals.py`.

InterlockError
├── InputError                  the request is not acceptable as given
│   ├── InvalidField            one field breaks a rule (names the field)
│   ├── InvalidResponse         a decision's `response` breaks its responseSchema (every violation)
│   └── MalformedJson           the body is not JSON
├── InterruptNotFound           unknown, malformed or retention-expired interrupt id
├── InterruptConflict           the interrupt is no longer pending
│   ├── AlreadyDecided          decide on a terminal interrupt (carries the winner in `current`)
│   ├── CannotCancel            cancel on a terminal interrupt
│   └── NothingToDeliver        redelivery of an interrupt with no webhook to send
├── LoopNotFound                unknown, malformed or retention-expired loop id
├── PromiseNotFound             unknown, malformed or retention-expired promise id
├── PromiseConflict             a resolve that contradicts the promise's state
├── LoopPending                 a loop's result asked for before it resolved
├── IdempotencyConflict         same Idempotency-Key, different body
├── RateLimited                 asked again too soon (carries retry_after_s)
└── StoreUnavailable            Redis cannot be reached
"""

from typing import Any


class InterlockError(Exception):
    """Base of every error Interlock reports to a caller."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        current: dict[str, Any] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.current = current
        self.detail = detail or message  # the problem's `detail`; `message` is the compat text


class InputError(InterlockError):
    """The request is not acceptable as given."""


class InvalidField(InputError):
    """A field is missing, of the wrong type, or breaks a rule."""


class InvalidResponse(InputError):
    """A decision's `response` does not match the interrupt's responseSchema; `violations` lists every one."""

    def __init__(self, violations: list[dict[str, str]]) -> None:
        first = violations[0]
        super().__init__(f"response does not match the responseSchema: {first['path']}: {first['message']}",
                         field="response")  # fmt: skip
        self.violations = violations


class MalformedJson(InputError):
    """The body could not be parsed as JSON."""


class InterruptNotFound(InterlockError):
    """The interrupt id is unknown, malformed, or past retention."""

    def __init__(self) -> None:
        super().__init__("Interrupt not found")


class InterruptConflict(InterlockError):
    """The interrupt is no longer pending."""


class AlreadyDecided(InterruptConflict):
    """A decision arrived for an interrupt that is already terminal."""

    def __init__(self, status: str, current: dict[str, Any]) -> None:
        super().__init__(f"Interrupt is already {status}", current=current)


class CannotCancel(InterruptConflict):
    """A cancel arrived for an interrupt that is already terminal."""

    def __init__(self, status: str, current: dict[str, Any]) -> None:
        super().__init__(f"Cannot cancel an interrupt with status: {status}", current=current)


class IdempotencyConflict(InterlockError):
    """An Idempotency-Key was reused with a different request body."""

    def __init__(self) -> None:
        super().__init__("Idempotency-Key was already used with a different request body")


class RateLimited(InterlockError):
    """The same request came again too soon; `retry_after_s` says when it may."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreUnavailable(InterlockError):
    """The Redis server cannot be reached, or refuses writes for now; the caller should retry."""

    def __init__(self, reason: str = "the state store cannot be reached") -> None:
        super().__init__(f"Service temporarily unavailable: {reason}")


class NothingToDeliver(InterruptConflict):
    """A redelivery was asked for an interrupt that has no webhook to send (pending, or no callbackUrl)."""


class LoopNotFound(InterlockError):
    """The loop id is unknown, malformed, or past retention."""

    def __init__(self) -> None:
        super().__init__("Loop not found")


class PromiseNotFound(InterlockError):
    """The promise id is unknown, malformed, or past retention."""

    def __init__(self) -> None:
        super().__init__("Promise not found")


class PromiseConflict(InterlockError):
    """A decision that contradicts the promise's state: decided otherwise, timed out, or the loop ended."""


class LoopPending(InterlockError):
    """The loop's result was asked for before the loop resolved."""

    def __init__(self) -> None:
        super().__init__("Loop is still pending: no result yet")
