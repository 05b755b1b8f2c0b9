"""API-key authentication as a pure ASGI middleware, run before routing for protected prefixes.

Unknown routes under a protected prefix answer 401 before 404, so probing reveals nothing.
"""

import hashlib
import hmac
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from service.api.io import idempotency_key
from service.api.problems import problem_body
from service.domain.errors import Unauthorized

PROTECTED_PREFIXES = (
    "/interrupts", "/analytics", "/inbox-links", "/deliveries", "/v1/loop/create", "/v1/loop/deliveries", "/mcp",
)  # fmt: skip
SCOPE_KEY = "interlock_key_scope"
ANONYMOUS = "anonymous"


def is_protected(path: str) -> bool:
    """True when `path` needs an API key (when keys are configured)."""
    return any(path == p or path.startswith(p + "/") for p in PROTECTED_PREFIXES)


def key_scope(key: str) -> str:
    """A stable, non-secret name for an API key (for idempotency scoping and logs)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def presented_key(scope: Scope) -> str | None:
    """The key in `X-API-Key` or `Authorization: Bearer`, if any."""
    bearer = None
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            return value.decode("latin-1")
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            bearer = value[7:].decode("latin-1").strip()
    return bearer


class ApiKeyMiddleware:
    """Rejects requests to protected routes without a configured key (constant-time compare)."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self._keys = tuple(k.encode() for k in keys)

    def _matches(self, candidate: str) -> bool:
        raw = candidate.encode("latin-1", "replace")
        matched = False
        for key in self._keys:  # compare with every key so timing does not tell which one matched
            matched |= hmac.compare_digest(raw, key)
        return matched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the key, record its scope, then pass the request on."""
        if not self._keys or scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        candidate = presented_key(scope)
        if candidate is not None and self._matches(candidate):
            scope.setdefault("state", {})[SCOPE_KEY] = key_scope(candidate)
        elif is_protected(scope["path"]):
            await _unauthorized(scope, send)
            return
        await self.app(scope, receive, send)


async def _unauthorized(scope: Scope, send: Send) -> None:
    status, body = problem_body(Unauthorized("Unauthorized"), scope["path"])
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer realm="interlock"'),
    ]
    start: Any = {"type": "http.response.start", "status": status, "headers": headers}
    end: Any = {"type": "http.response.body", "body": body}
    await send(start)
    await send(end)


def idempotency(request: Request[Any, Any, Any], family: str = "") -> tuple[str, str] | None:
    """(scope, key) of a create's Idempotency-Key: keys are scoped per API key and per `family` of route."""
    key = idempotency_key(request)
    if key is None:
        return None
    return family + request.scope.get("state", {}).get(SCOPE_KEY, ANONYMOUS), key
