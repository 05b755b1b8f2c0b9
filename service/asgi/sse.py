"""Server-sent events on the wire: how an event or a comment is framed, and the streaming response that sends them.

Framing (the bytes every stream sends): the fields in the order `: comment`, `id:`, `event:`,
`data:` (one line per line of data), `retry:`, each ending in CRLF, and a blank line ending the
event. The response is a plain ASGI app: it sends each chunk as the iterator yields it, from the
request's own task, and a second task waiting on `receive()` stops it when the client goes away.
"""

import asyncio
import logging
import re
from collections.abc import AsyncIterator

from litestar.types import Receive, Scope, Send

from service.domain.errors import StoreUnavailable

log = logging.getLogger(__name__)

SEP = "\r\n"
RETRY_MS = 3000  # the reconnect delay suggested to SSE clients (travels with a stream's first event)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_HEADERS = [
    (b"cache-control", b"no-store"),  # a stream is never cached
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
    (b"content-type", b"text/event-stream; charset=utf-8"),
]


def frame(
    *, event: str | None = None, data: str | None = None, event_id: int | None = None,
    retry: int | None = None, comment: str | None = None,
) -> bytes:  # fmt: skip
    """One event (or a comment: a line clients ignore, used for pings and hints) as the bytes sent."""
    lines = [f": {chunk}" for chunk in _LINE_BREAK.split(comment)] if comment is not None else []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.extend(f"data: {chunk}" for chunk in _LINE_BREAK.split(data))
    if retry is not None:
        lines.append(f"retry: {retry}")
    return "".join(f"{line}{SEP}" for line in lines).encode() + SEP.encode()


class EventStream:
    """A `text/event-stream` response (200) sending each chunk as it comes, until it ends or the client leaves."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the head, then each chunk; a disconnect cancels the sending (only that cancel is swallowed).

        A stream whose store becomes unreachable ends with a reconnect hint instead of an error.
        """
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        sender = asyncio.current_task()
        assert sender is not None  # an ASGI app always runs in a task
        gone = False

        async def until_disconnect() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            sender.cancel()

        listener = asyncio.create_task(until_disconnect())
        try:
            try:
                async for chunk in self._chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except StoreUnavailable as error:  # Redis went away mid-stream: end it, the client comes back later
                log.warning("event stream ended: %s", error.detail)
                hint = frame(comment="the state store is unavailable", retry=RETRY_MS)
                await send({"type": "http.response.body", "body": hint, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not gone:
                raise
            sender.uncancel()
        finally:
            listener.cancel()
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                await aclose()
