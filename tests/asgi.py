"""Calling an ASGI app directly, as a server would: one request, its body in chunks, the answer collected."""

from collections.abc import Sequence
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

Message = dict[str, Any]


async def call(
    app: Litestar,
    method: str,
    path: str,
    chunks: list[bytes],
    headers: Sequence[tuple[bytes, bytes]] = (),
    *,
    complete: bool = True,
    query: bytes = b"",
) -> tuple[int, bytes]:
    """One request with its body in `chunks` (separate ASGI messages); the status and the body sent back.

    With `complete=False` the client disconnects after the chunks instead of finishing the body.
    """
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 3002),
    }  # fmt: skip
    last = len(chunks) - 1 if complete else len(chunks)
    messages: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < last} for i, c in enumerate(chunks or [b""])
    ]
    messages.append({"type": "http.disconnect"})
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if len(messages) > 1 else messages[0]

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def local_client(app: Litestar) -> AsyncTestClient[Litestar]:
    """An in-process client that addresses the app as `127.0.0.1` (a loopback-bound app refuses other hosts)."""
    return AsyncTestClient(app=app, base_url="http://127.0.0.1")
