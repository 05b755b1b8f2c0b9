"""DNS-rebinding protection: a server bound to loopback answers only requests addressed to a loopback name.

A web page on an attacker's domain that resolves to 127.0.0.1 reaches a local server with its own
`Host`; refusing every `Host` that is neither a loopback name or address nor the host of
`LOOPIN_BASE_URL` (421) keeps such pages out, with or without API keys.
"""

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from service.api.problems import problem_body
from service.asgi.refusals import MisdirectedRequest

SEEN_LIMIT = 1024  # distinct Host values whose verdict is remembered (an attacker's variety only costs a parse)


def is_loopback(host: str) -> bool:
    """True for `localhost`, `*.localhost` and loopback addresses (port and IPv6 brackets stripped)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host part of a `Host` header value (`[::1]:3002` → `[::1]`, `example.com:80` → `example.com`)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class LoopbackHosts:
    """Answers 421 to a request whose `Host` is not a loopback name and not the public base URL's host."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self._public = (urlsplit(base_url).hostname or "").lower()
        self._seen: dict[bytes, bool] = {}  # Host header → verdict: parsing addresses costs more than the rest

    def _allowed(self, value: bytes) -> bool:
        verdict = self._seen.get(value)
        if verdict is None:
            host = host_name(value.decode("latin-1")).lower()
            verdict = host.strip("[]") == self._public or is_loopback(host)
            if len(self._seen) < SEEN_LIMIT:
                self._seen[value] = verdict
        return verdict

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the Host header, then pass the request on."""
        if scope["type"] == ScopeType.HTTP:
            for name, value in scope["headers"]:
                if name == b"host":
                    if not self._allowed(value):
                        await _misdirected(scope, send)
                        return
                    break
        await self.app(scope, receive, send)


async def _misdirected(scope: Scope, send: Send) -> None:
    status, body = problem_body(MisdirectedRequest("Misdirected Request", detail=DETAIL), scope["path"])
    head: Any = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/problem+json"), (b"content-length", b"%d" % len(body))],
    }
    await send(head)
    end: Any = {"type": "http.response.body", "body": body}
    await send(end)


DETAIL = "this server is bound to loopback and answers only requests for localhost or LOOPIN_BASE_URL's host"
