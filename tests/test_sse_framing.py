"""SSE framing byte for byte as Litestar frames it, and the streaming response's two ways to end."""

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.response import ServerSentEventMessage

from service.asgi.sse import EventStream, frame
from service.domain.errors import StoreUnavailable

texts = st.none() | st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@given(event=texts, data=texts, event_id=st.none() | st.integers(0, 10**9), retry=st.none() | st.integers(0, 10**6),
       comment=texts)  # fmt: skip
def test_a_frame_is_what_litestar_sends_for_the_same_fields(
    event: str | None, data: str | None, event_id: int | None, retry: int | None, comment: str | None
) -> None:
    if event is not None and ("\r" in event or "\n" in event):
        event = event.replace("\r", "").replace("\n", "")  # Litestar strips breaks from names; ours have none
    ours = frame(event=event, data=data, event_id=event_id, retry=retry, comment=comment)
    theirs = ServerSentEventMessage(data=data, event=event, id=event_id, retry=retry, comment=comment).encode()
    assert ours == theirs


async def chunks(closed: list[bool], gate: asyncio.Event) -> AsyncGenerator[bytes, None]:
    """One chunk, then waits on `gate` forever (an open stream); notes when it is closed."""
    try:
        yield b"first"
        while True:
            await gate.wait()
            gate.clear()
            yield b"more"
    finally:
        closed.append(True)


@pytest.mark.timeout(10)
async def test_a_disconnect_stops_the_stream_and_closes_its_source() -> None:
    closed: list[bool] = []
    sent: list[dict[str, Any]] = []
    left = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message.get("body") == b"first":
            left.set()  # the client goes away after the first chunk

    app = EventStream(chunks(closed, asyncio.Event()))
    await app({"type": "http"}, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 200 and (b"cache-control", b"no-store") in sent[0]["headers"]
    assert (b"content-type", b"text/event-stream; charset=utf-8") in sent[0]["headers"]
    assert [m.get("body") for m in sent[1:]] == [b"first"] and closed == [True]


@pytest.mark.timeout(10)
async def test_a_cancel_from_the_server_is_not_mistaken_for_a_disconnect() -> None:
    closed: list[bool] = []
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message.get("body") == b"first":
            started.set()

    app = EventStream(chunks(closed, asyncio.Event()))
    task = asyncio.create_task(app({"type": "http"}, receive, send))  # type: ignore[arg-type]
    await started.wait()
    task.cancel()  # e.g. the server shutting down
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed == [True]


@pytest.mark.timeout(10)
async def test_a_stream_whose_store_goes_away_ends_with_a_reconnect_hint(caplog: pytest.LogCaptureFixture) -> None:
    async def failing() -> AsyncGenerator[bytes, None]:
        yield b"first"
        raise StoreUnavailable()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client stays
        raise AssertionError("unreachable")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await EventStream(failing())({"type": "http"}, receive, send)  # type: ignore[arg-type]
    bodies = [m.get("body") for m in sent[1:]]
    assert bodies == [b"first", frame(comment="the state store is unavailable", retry=3000), b""]
    assert sent[-1]["more_body"] is False  # ended as a response, not torn down as an error
    assert "event stream ended: Service temporarily unavailable: the state store cannot be reached" in caplog.text
