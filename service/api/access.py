"""Who may call which route: the one access table, and the check that applies it to the route Litestar resolved.

The check runs after routing, on the handler that will run, so no spelling of a path (`//x`,
`/%2Fx`, dot segments…) can reach a protected handler another way. Every route must be in the
table: an app with an unlisted route or method does not start.
"""

import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Litestar, Request
from litestar.routes import ASGIRoute, HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from service.api.io import idempotency_key
from service.asgi.refusals import Forbidden, Unauthorized
from service.asgi.replies import raw_header
from service.domain.models import Actor
from service.domain.roles import ANONYMOUS, ApiKey, Role

PUBLIC, AGENT, REVIEWER, ADMIN = Role.PUBLIC, Role.AGENT, Role.REVIEWER, Role.ADMIN
ANY = "*"  # every method of the route

DOCS_UI = ("", "/{}", "/openapi.json", "/swagger")  # the Swagger UI page (its installed assets: /docs/assets/)
# Path templates with their parameters written `{}`; methods mapped to the least role that may call them.
ACCESS: dict[str, dict[str, Role]] = {
    # interrupts (LoopIn)
    "/interrupts": {"POST": AGENT},
    "/interrupts/{}": {"GET": AGENT, "DELETE": AGENT},
    "/interrupts/{}/events": {"GET": AGENT},
    "/interrupts/{}/history": {"GET": AGENT},
    "/interrupts/{}/decide": {"POST": REVIEWER},
    "/interrupts/{}/review-links": {"POST": REVIEWER},
    "/interrupts/pending/{}": {"GET": REVIEWER},
    "/analytics/{}": {"GET": REVIEWER},
    "/inbox-links": {"POST": REVIEWER},
    "/interrupts/{}/deliveries": {"GET": ADMIN},
    "/interrupts/{}/deliveries/redeliver": {"POST": ADMIN},
    "/deliveries": {"GET": ADMIN},
    "/whoami": {"GET": AGENT},
    # loops (intheloop.run): status and result are capabilities of whoever holds the loop id (compat)
    "/v1/loop/create": {"POST": AGENT},
    "/v1/loop/deliveries/{}": {"GET": ADMIN},
    "/v1/loop/status/{}": {"GET": PUBLIC},
    "/v1/loop/events/{}": {"GET": PUBLIC},
    "/v1/loop/result/{}": {"GET": PUBLIC},
    "/v1/loop/participant/resolve/{}": {"GET": PUBLIC, "POST": PUBLIC},
    # MCP: any key; each tool call is checked again on the route it calls
    "/mcp": {ANY: AGENT},
    # Slack's interactions: signed by Slack with the app's signing secret (checked by the handler)
    "/slack/interactions": {"POST": PUBLIC},
    # pages: capabilities (an unguessable id, a signed token) and CSRF-protected forms
    "/review/{}": {"GET": PUBLIC},
    "/review/{}/events": {"GET": PUBLIC},
    "/review/{}/decide": {"POST": PUBLIC},
    "/inbox/{}": {"GET": PUBLIC},
    "/inbox-events/{}": {"GET": PUBLIC},
    "/static/{}": {"GET": PUBLIC, "HEAD": PUBLIC},
    "/robots.txt": {"GET": PUBLIC},
    # operations and documents
    "/": {"GET": PUBLIC},
    "/health": {"GET": PUBLIC},
    "/readyz": {"GET": PUBLIC},
    "/metrics": {"GET": ADMIN},
    "/openapi.json": {"GET": PUBLIC},
    **{f"/docs{tail}": {"GET": PUBLIC} for tail in DOCS_UI},
    "/docs/assets/{}": {"GET": PUBLIC, "HEAD": PUBLIC},
}
OPT = "interlock.access"  # the route handler's opt entry holding its role
CALLER = "interlock.caller"  # where the check leaves the caller's ApiKey in the ASGI scope state
_PARAM = re.compile(r"\{[^}]*\}")
NOBODY = ApiKey(label="anonymous", role=Role.PUBLIC, secret="")


def template(path: str) -> str:
    """A route path with its parameters written `{}` (`/interrupts/{interrupt_id:str}` → `/interrupts/{}`)."""
    return _PARAM.sub("{}", path)


def table_for(*, metrics_public: bool) -> dict[str, dict[str, Role]]:
    """ACCESS as configured (`INTERLOCK_METRICS_PUBLIC` opens `/metrics`)."""
    return ACCESS | {"/metrics": {"GET": PUBLIC}} if metrics_public else ACCESS


def required(table: Mapping[str, Mapping[str, Role]], path: str, method: str) -> Role:
    """The role `method` on route `path` needs; OPTIONS needs the least role of the route's methods."""
    methods = table.get(template(path))
    if methods is None:
        raise LookupError(f"route {path} is missing from the access table")
    if method in methods:
        return methods[method]
    if ANY in methods:
        return methods[ANY]
    if method == "OPTIONS":
        return min(methods.values())
    raise LookupError(f"{method} {path} is missing from the access table")


def assign(app: Litestar, table: Mapping[str, Mapping[str, Role]]) -> None:
    """Write each route handler's role into its opt, so the check reads it in O(1); LookupError when unlisted."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                handler.opt[OPT] = required(table, route.path, method)
        elif isinstance(route, ASGIRoute):
            route.route_handler.opt[OPT] = required(table, route.path, ANY)
        else:
            raise LookupError(f"route {route.path} is of a kind the access table does not cover")


class Keyring:
    """The configured keys, matched in constant time (every key is compared, whichever matches)."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = tuple((key.secret.encode(), key) for key in keys)

    def find(self, presented: bytes) -> ApiKey | None:
        """The key whose secret is `presented`, or None."""
        found = None
        for secret, key in self._keys:
            if hmac.compare_digest(presented, secret):
                found = key
        return found

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Litestar route middleware: it runs after routing, on the handler Litestar resolved for this request.

        A middleware rather than a guard: Litestar copies the route handler (`copy.copy`) on every
        guard call, and runs a sync guard in a worker thread.
        """

        async def checked(scope: Scope, receive: Receive, send: Send) -> None:
            self.check(scope)
            await app(scope, receive, send)

        return checked

    def check(self, scope: Scope) -> None:
        """401 without a valid key, 403 when its role is below the route's; records the caller in the scope."""
        needed: Role = scope["route_handler"].opt[OPT]
        presented = presented_key(scope)
        key = self.find(presented) if presented is not None else None
        scope.setdefault("state", {})[CALLER] = key or NOBODY
        if needed is PUBLIC:
            return
        if key is None:
            raise Unauthorized("Unauthorized")
        if key.role < needed:
            detail = f"this route needs a {needed.text} key; the key {key.label!r} is {key.role.text}"
            raise Forbidden("Forbidden", detail=detail)


def presented_key(scope: Scope) -> bytes | None:
    """The key in `X-API-Key` (any case) or `Authorization: Bearer`, if any."""
    bearer = None
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return value
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            bearer = value[7:].strip()
    return bearer


def caller(scope: Scope) -> ApiKey:
    """The key the request was made with: ANONYMOUS (full access) when auth is off, NOBODY when none was valid."""
    found: ApiKey = scope.get("state", {}).get(CALLER, ANONYMOUS)
    return found


def actor(request: Request[Any, Any, Any]) -> Actor:
    """Who is calling (the key's label) and through which channel: `mcp` when the MCP server says so, else `api`.

    The channel is what the client declares (`X-Interlock-Channel: mcp`); the actor is the key, which it cannot.
    """
    via = "mcp" if raw_header(request, b"x-interlock-channel") == "mcp" else "api"
    return Actor(by=caller(request.scope).label, via=via)


def idempotency(request: Request[Any, Any, Any], family: str = "") -> tuple[str, str] | None:
    """(scope, key) of a create's Idempotency-Key: scoped per key label and per `family` of route."""
    key = idempotency_key(request)
    return None if key is None else (family + caller(request.scope).label, key)
