"""Server-sent event streams of record states: the retry hint, one event per state, pings, the shutdown hint."""

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec
from litestar.types import ASGIApp

from service.asgi.replies import Reply
from service.asgi.sse import RETRY_MS, EventStream, frame
from service.domain.tokens import is_number
from service.waiting.hub import WaiterHub
from service.waiting.streams import Frame

T = TypeVar("T")
_encoder = msgspec.json.Encoder()


def last_event_id(value: str | None) -> int | None:
    """A Last-Event-ID we issued (a version number), or None for anything else."""
    return int(value) if value and is_number(value) and len(value) < 12 else None


async def messages(
    frames: AsyncIterator[Frame[T]], render: Callable[[T], tuple[str, Any]], hub: WaiterHub
) -> AsyncIterator[bytes]:
    """SSE messages for `frames`; `render` names each state's event and gives its JSON data.

    The reconnect hint (`retry:`) travels with the first message, not as an empty event of its own.
    """
    retry: int | None = RETRY_MS
    async for state in frames:
        if state.record is None:
            yield frame(comment="ping", retry=retry)
        else:
            name, data = render(state.record)
            yield frame(event_id=state.event_id, event=name, data=_encoder.encode(data).decode(), retry=retry)
        retry = None
    if hub.closing:  # the process is stopping: tell the client when to come back (to another process)
        yield frame(comment="shutting down", retry=RETRY_MS)


def stream(frames: AsyncIterator[Frame[T]], render: Callable[[T], tuple[str, Any]], hub: WaiterHub) -> ASGIApp:
    """The streaming response (never cached)."""
    return EventStream(messages(frames, render, hub))


def ended(last_id: int | None, final_version: int | None) -> bool:
    """True when a reconnecting client already has the final event (answered 204: EventSource then stops)."""
    return final_version is not None and last_id is not None and last_id >= final_version


NO_CONTENT = Reply(b"", 204)
