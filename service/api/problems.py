"""The one table from errors to RFC 9457 problems, and the responses built from it.

Every problem also carries the compat member of its API family: `error` on interrupt routes,
`success: false` + `message` on loop routes.
"""

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.exceptions import MethodNotAllowedException as LitestarMethodNotAllowed

from service.asgi import refusals
from service.domain import errors
from service.store.errors import unavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "1"

# error class → (HTTP status, problem type slug, title); the most specific class wins.
TABLE: dict[type[errors.InterlockError], tuple[int, str, str]] = {
    errors.InterlockError: (500, "internal", "Internal error"),
    errors.InputError: (400, "invalid-request", "Invalid request"),
    errors.InvalidField: (400, "invalid-field", "Invalid field"),
    errors.InvalidResponse: (422, "invalid-response", "Response does not match the responseSchema"),
    errors.MalformedJson: (400, "malformed-json", "Malformed JSON"),
    refusals.BodyTooLarge: (413, "body-too-large", "Request body too large"),
    refusals.BodyTimeout: (408, "request-timeout", "Request timeout"),
    refusals.UnsupportedContentType: (415, "unsupported-media-type", "Unsupported content type"),
    refusals.Unauthorized: (401, "unauthorized", "Unauthorized"),
    refusals.Forbidden: (403, "forbidden", "Forbidden"),
    refusals.MisdirectedRequest: (421, "misdirected-request", "Misdirected request"),
    refusals.RouteNotFound: (404, "route-not-found", "Not found"),
    refusals.MethodNotAllowed: (405, "method-not-allowed", "Method not allowed"),
    errors.InterruptNotFound: (404, "interrupt-not-found", "Interrupt not found"),
    errors.InterruptConflict: (409, "conflict", "Conflict"),
    errors.AlreadyDecided: (409, "already-decided", "Interrupt already decided"),
    errors.CannotCancel: (409, "cannot-cancel", "Interrupt cannot be cancelled"),
    errors.NothingToDeliver: (409, "nothing-to-deliver", "Nothing to deliver"),
    errors.LoopNotFound: (404, "loop-not-found", "Loop not found"),
    errors.PromiseNotFound: (404, "promise-not-found", "Promise not found"),
    errors.PromiseConflict: (409, "promise-conflict", "Promise cannot take this decision"),
    errors.LoopPending: (409, "loop-pending", "Loop is still pending"),
    errors.IdempotencyConflict: (422, "idempotency-key-reused", "Idempotency-Key reused"),
    errors.RateLimited: (429, "rate-limited", "Too many requests"),
    errors.StoreUnavailable: (503, "store-unavailable", "Service unavailable"),
}

_encoder = msgspec.json.Encoder()


def lookup(error: errors.InterlockError) -> tuple[int, str, str]:
    """The (status, slug, title) of the most specific class of `error` in the table."""
    for cls in type(error).__mro__:
        if cls in TABLE:
            return TABLE[cls]
    return TABLE[errors.InterlockError]


def is_loop_route(path: str) -> bool:
    """True for the intheloop.run family, whose errors carry `success`/`message`."""
    return path.startswith("/v1/")


def problem_body(error: errors.InterlockError, path: str) -> tuple[int, bytes]:
    """The status and JSON body of the problem for `error` on `path`."""
    status, slug, title = lookup(error)
    body: dict[str, Any] = {
        "type": f"urn:interlock:problem:{slug}",
        "title": title,
        "status": status,
        "detail": error.detail,
    }
    if is_loop_route(path):
        body.update(success=False, message=error.message)
    else:
        body["error"] = error.message
    if error.field:
        body["field"] = error.field
    if error.current is not None:
        body["current"] = error.current
    if isinstance(error, errors.InvalidResponse):
        body["violations"] = error.violations
    return status, _encoder.encode(body)


def problem_response(error: errors.InterlockError, path: str) -> Response[bytes]:
    """A Litestar response for `error`."""
    status, body = problem_body(error, path)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    if isinstance(error, errors.RateLimited):
        headers = {"Retry-After": str(error.retry_after_s)}
    if status == 408:
        headers = {"Connection": "close"}  # the rest of a stalled body is not worth waiting for
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="interlock"'}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_http_exception(exc: HTTPException) -> errors.InterlockError:
    """Map Litestar's own exceptions (routing, limits, query validation) into the domain tree."""
    if isinstance(exc, NotFoundException):
        return refusals.RouteNotFound("Not found")
    if isinstance(exc, LitestarMethodNotAllowed):
        return refusals.MethodNotAllowed("Method not allowed")
    if exc.status_code == 413:
        return refusals.BodyTooLarge("Request body is too large")
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        first = exc.extra[0]
        key = first.get("key") if isinstance(first, dict) else None
        message = first.get("message") if isinstance(first, dict) else None
        return errors.InvalidField(f"{key}: {message}" if key else str(exc.detail), field=key)
    if exc.status_code < 500:
        return errors.InputError(str(exc.detail))
    return errors.InterlockError("Internal error")


def handle_interlock_error(request: Request[Any, Any, Any], exc: errors.InterlockError) -> Response[bytes]:
    """Exception handler for the domain tree."""
    return problem_response(exc, request.url.path)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Exception handler for Litestar's exceptions."""
    return problem_response(from_http_exception(exc), request.url.path)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Last resort: a JSON 500 without a stack trace (the trace goes to the log only).

    A Redis failure that escaped the store's translation is still a 503 with Retry-After.
    """
    if (store_error := unavailable(exc)) is not None:
        log.warning("untranslated store failure on %s %s: %r", request.method, request.url.path, exc)
        return problem_response(store_error, request.url.path)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(errors.InterlockError("Internal error"), request.url.path)


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    errors.InterlockError: handle_interlock_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
