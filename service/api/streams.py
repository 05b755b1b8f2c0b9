"""Server-sent event streams of record states: the retry hint, one event per state, pings, the shutdown hint."""

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ASGIApp

from service.api.io import Reply
from service.domain.tokens import is_number
from service.events import Frame, WaiterHub

T = TypeVar("T")
RETRY_MS = 3000  # the reconnect delay suggested to SSE clients
_encoder = msgspec.json.Encoder()


def last_event_id(value: str | None) -> int | None:
    """A Last-Event-ID we issued (a version number), or None for anything else."""
    return int(value) if value and is_number(value) and len(value) < 12 else None


async def messages(
    frames: AsyncIterator[Frame[T]], render: Callable[[T], tuple[str, Any]], hub: WaiterHub
) -> AsyncIterator[ServerSentEventMessage]:
    """SSE messages for `frames`; `render` names each state's event and gives its JSON data.

    The reconnect hint (`retry:`) travels with the first message, not as an empty event of its own.
    """
    retry: int | None = RETRY_MS
    async for frame in frames:
        if frame.record is None:
            yield ServerSentEventMessage(comment="ping", data=None, retry=retry)
        else:
            name, data = render(frame.record)
            yield ServerSentEventMessage(
                id=frame.event_id, event=name, data=_encoder.encode(data).decode(), retry=retry
            )
        retry = None
    if hub.closing:  # the process is stopping: tell the client when to come back (to another process)
        yield ServerSentEventMessage(retry=RETRY_MS, comment="shutting down", data=None)


def stream(
    request: Request[Any, Any, Any],
    frames: AsyncIterator[Frame[T]],
    render: Callable[[T], tuple[str, Any]],
    hub: WaiterHub,
) -> ASGIApp:
    """The streaming response (never cached)."""
    response = ServerSentEvent(messages(frames, render, hub), headers={"Cache-Control": "no-store"})
    return response.to_asgi_response(None, request)


def ended(last_id: int | None, final_version: int | None) -> bool:
    """True when a reconnecting client already has the final event (answered 204: EventSource then stops)."""
    return final_version is not None and last_id is not None and last_id >= final_version


NO_CONTENT = Reply(b"", 204, headers={"Cache-Control": "no-store"})
