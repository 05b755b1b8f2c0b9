"""Server-sent event streams of record states: the retry hint, one event per state, pings, the shutdown hint."""

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec
from litestar.response import ServerSentEvent, ServerSentEventMessage

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
    """SSE messages for `frames`; `render` names each state's event and gives its JSON data."""
    yield ServerSentEventMessage(retry=RETRY_MS, data=None)
    async for frame in frames:
        if frame.record is None:
            yield ServerSentEventMessage(comment="ping", data=None)
            continue
        name, data = render(frame.record)
        yield ServerSentEventMessage(id=frame.event_id, event=name, data=_encoder.encode(data).decode())
    if hub.closing:  # the process is stopping: tell the client when to come back (to another process)
        yield ServerSentEventMessage(retry=RETRY_MS, comment="shutting down", data=None)


def stream(frames: AsyncIterator[Frame[T]], render: Callable[[T], tuple[str, Any]], hub: WaiterHub) -> ServerSentEvent:
    """The streaming response (never cached)."""
    return ServerSentEvent(messages(frames, render, hub), headers={"Cache-Control": "no-store"})
