"""The HTTP plumbing below every route: raw headers, the body read straight from ASGI, finished replies."""

import asyncio
import math
from collections.abc import Mapping
from typing import Any, cast

from litestar import Request
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Receive, Scope, Send

from service.asgi.refusals import BodyTimeout

JSON = "application/json"
HTML = "text/html; charset=utf-8"
_BODY_KEY = "interlock.body"  # where read_body keeps the body in the ASGI scope
BODY_TIMEOUT_KEY = "body_timeout_s"  # app.state entry: seconds a request body may take (INTERLOCK_BODY_TIMEOUT_S)
DEFAULT_BODY_TIMEOUT_S = 30


def raw_header(request: Request[Any, Any, Any], name: bytes) -> str | None:
    """One request header straight from the ASGI scope (cheaper than building Litestar's Headers)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The whole request body, straight from ASGI `receive`; 413 past the route's size limit.

    Litestar's `request.body()` does the same through an async generator and a parsed header map,
    a measurable share of a create's CPU. Every handler of ours reads its body through here.
    """
    scope = request.scope
    if (cached := scope.get(_BODY_KEY)) is not None:
        return cast(bytes, cached)
    limit = request.route_handler.resolve_request_max_body_size() or math.inf
    declared = raw_header(request, b"content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(request.app.state.get(BODY_TIMEOUT_KEY, DEFAULT_BODY_TIMEOUT_S)):
            while True:
                message = await request.receive()
                if message["type"] != "http.request":  # the client went away before sending it all
                    raise ClientException("client disconnected before sending the whole body")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise RequestEntityTooLarge
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        raise BodyTimeout("the request body did not arrive in time") from None
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    scope[_BODY_KEY] = body  # type: ignore[literal-required]
    return body


RawHeaders = tuple[tuple[bytes, bytes], ...]


def encode_headers(headers: Mapping[str, str]) -> RawHeaders:
    """Headers as ASGI wants them (lower-case latin-1 bytes); constant sets are encoded once, at import."""
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())


class Reply:
    """A finished response as a bare ASGI app.

    Handlers annotated `-> ASGIApp` hand it to Litestar, which passes it through as is: no
    `Response` to build and convert for every request (about 10 % of a create's CPU).
    """

    __slots__ = ("_body", "_head")

    def __init__(
        self,
        body: bytes,
        status_code: int = 200,
        media_type: str = JSON,
        headers: Mapping[str, str] | None = None,
        encoded: RawHeaders = (),
    ) -> None:
        self._body = body
        raw = [(b"content-type", media_type.encode("latin-1")), (b"content-length", b"%d" % len(body)), *encoded]
        if headers:
            raw += encode_headers(headers)
        self._head = {"type": "http.response.start", "status": status_code, "headers": raw}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the head, then the body."""
        await send(self._head)  # type: ignore[arg-type]
        await send({"type": "http.response.body", "body": self._body, "more_body": False})
