"""SSE (`GET /interrupts/{id}/events`) over a real server: snapshot, change, close, resume, pings, expiry."""

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from tests.processes import ServeProcess

BODY = {"agentId": "streamer", "userId": "sse-user", "action": "release v2", "context": {"tag": "v2"}}


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    proc = ServeProcess({"REDIS_URL": redis_url, "INTERLOCK_SSE_PING": "1"}, log=log).wait_ready()
    try:
        yield proc
    finally:
        proc.stop()


async def collect(http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None) -> list[ServerSentEvent]:
    """The state events of a stream until it closes (every state event is named after its status)."""
    async with aconnect_sse(http, "GET", url, headers=dict(headers or {})) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [event async for event in source.aiter_sse() if event.event != "message"]


async def create(http: httpx.AsyncClient, base: str, **extra: object) -> str:
    interrupt_id: str = (await http.post(f"{base}/interrupts", json=BODY | extra)).json()["interruptId"]
    return interrupt_id


@pytest.mark.timeout(60)
async def test_stream_sends_snapshot_then_decision_then_closes(api: ServeProcess) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        interrupt_id = await create(http, api.url)
        url = f"{api.url}/interrupts/{interrupt_id}/events"
        async with aconnect_sse(http, "GET", url) as source:
            events = (e async for e in source.aiter_sse())
            first = await anext(events)
            assert first.retry == 3000  # the hint arrives with the first event, not as an empty one
            assert (first.id, first.event, first.json()["status"]) == ("1", "pending", "pending")
            await http.post(
                f"{api.url}/interrupts/{interrupt_id}/decide", json={"decision": "rejected", "reason": "no"}
            )
            rest = [e async for e in events]
        assert [(e.id, e.event) for e in rest] == [("2", "rejected")]
        assert rest[0].json()["reason"] == "no"
        assert rest[0].json()["decidedBy"] == "anonymous"  # auth is off here: no key names the decider


@pytest.mark.timeout(60)
async def test_the_decided_event_carries_the_typed_answer(api: ServeProcess) -> None:
    schema = {"type": "object", "properties": {"window": {"type": "string", "enum": ["now", "tonight"]}}}
    async with httpx.AsyncClient(timeout=30) as http:
        interrupt_id = await create(http, api.url, responseSchema=schema)
        url = f"{api.url}/interrupts/{interrupt_id}/events"
        async with aconnect_sse(http, "GET", url) as source:
            events = (e async for e in source.aiter_sse() if e.event != "message")
            assert (await anext(events)).json()["responseSchema"] == schema
            decide = {"decision": "approved", "response": {"window": "tonight"}}
            assert (await http.post(f"{api.url}/interrupts/{interrupt_id}/decide", json=decide)).status_code == 200
            rest = [e async for e in events]
        assert [e.event for e in rest] == ["approved"] and rest[0].json()["response"] == {"window": "tonight"}


@pytest.mark.timeout(60)
async def test_resume_with_last_event_id_gets_only_what_was_missed(api: ServeProcess) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        interrupt_id = await create(http, api.url)
        await http.post(f"{api.url}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
        url = f"{api.url}/interrupts/{interrupt_id}/events"
        missed = await collect(http, url, {"Last-Event-ID": "1"})
        assert [(e.id, e.event) for e in missed] == [("2", "approved")]
        done = await http.get(url, headers={"Last-Event-ID": "2"})  # it has the terminal event: 204 stops EventSource
        assert (done.status_code, done.content) == (204, b"")
        full = await collect(http, url)
        assert [(e.id, e.event) for e in full] == [("2", "approved")]  # a terminal snapshot is the last event


@pytest.mark.timeout(60)
async def test_idle_stream_pings_and_expiry_arrives_without_a_worker(api: ServeProcess) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        interrupt_id = await create(http, api.url, expiresIn=2.5)
        raw = (await http.get(f"{api.url}/interrupts/{interrupt_id}/events")).text.replace("\r\n", "\n")
    blocks = raw.rstrip().split("\n\n")
    assert blocks[0].startswith("id: 1\nevent: pending\n")  # the reconnect hint travels with the first event
    assert "\nretry: 3000" in blocks[0]
    assert ": ping" in blocks  # the server under test pings every second while idle
    assert blocks[-1].startswith("id: 2\nevent: expired\n")


@pytest.mark.timeout(30)
async def test_unknown_interrupt_is_404_json_before_streaming(api: ServeProcess) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{api.url}/interrupts/{uuid.uuid4()}/events")
    assert response.status_code == 404
    assert response.json()["error"] == "Interrupt not found"


@pytest.mark.timeout(60)
async def test_many_streams_all_see_the_decision(api: ServeProcess) -> None:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as http:
        interrupt_id = await create(http, api.url)
        url = f"{api.url}/interrupts/{interrupt_id}/events"
        streams = [asyncio.create_task(collect(http, url)) for _ in range(50)]
        await http.post(f"{api.url}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
        results = await asyncio.gather(*streams)
    for events in results:
        assert [e.event for e in events][-1] == "approved"
