"""A real webhook receiver on 127.0.0.1 (uvicorn + a tiny ASGI app) that verifies every signature."""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes; the tests' WEBHOOK_SECRET


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float
    verified: Any  # the parsed body when the signature verified, None otherwise


@dataclass
class Receiver:
    """Records every request; `respond` picks the status for the nth request to a path (default 204)."""

    secret: str = SECRET
    respond: Callable[[str, int], tuple[int, dict[str, str]]] = lambda _path, _n: (204, {})
    received: dict[str, list[Received]] = field(default_factory=dict)
    port: int = 0
    delay_s: float = 0.0  # how long each answer takes (a slow receiver keeps deliveries in flight)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The ASGI app: read, verify, record, answer."""
        if scope["type"] != "http":
            return
        body = await body_of(receive)
        if body is None:
            return  # the sender died mid-request (a killed worker): nothing was delivered
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            verified = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            verified = None
        path = scope["path"]
        async with self.arrived:
            self.received.setdefault(path, []).append(Received(headers, body, time.monotonic(), verified))
            self.arrived.notify_all()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)  # simulated work, not synchronisation
        status, extra = self.respond(path, len(self.received[path]))
        raw = [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b"" if status in (204, 304) else b"ok"})

    async def wait_until(self, done: Callable[[dict[str, list[Received]]], bool]) -> None:
        """Block until `done(received)` holds (bounded by the test's timeout)."""
        async with self.arrived:
            await self.arrived.wait_for(lambda: done(self.received))

    async def wait_for(self, path: str, count: int) -> list[Received]:
        """Block until `path` got at least `count` requests (bounded by the test's timeout)."""
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.received.get(path, [])) >= count)
            return list(self.received[path])


async def body_of(receive: Any) -> bytes | None:
    """A request's whole body from ASGI `receive`; None when the client went away first."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


class Served(Protocol):
    """An ASGI app that is told the port it is served on."""

    port: int

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one ASGI connection."""


S = TypeVar("S", bound=Served)


@contextlib.asynccontextmanager
async def running(receiver: S) -> AsyncIterator[S]:
    """Serve `receiver` (a webhook receiver, the Slack stand-in) on a free loopback port for the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # listening before uvicorn starts: early requests wait in the backlog
    receiver.port = sock.getsockname()[1]
    config = uvicorn.Config(receiver, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
