"""The client through what networks and operators do: a restart mid-wait, a lost create response, webhooks."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from interlock_client import AsyncInterlock, Interlock, InvalidWebhook, Unavailable, verify_webhook
from service.embedded import EmbeddedRedis, free_port
from tests.client.conftest import Background, Reviewer, agent_args
from tests.conftest import AGENT_KEY, KEY_ENV
from tests.processes import ServeProcess, poll_until
from tests.receivers import SECRET, Receiver, running


@pytest.mark.timeout(120)
def test_a_wait_outlives_the_server_being_killed_and_restarted(tmp_path: Path) -> None:
    port = free_port()
    env = KEY_ENV | {"INTERLOCK_DATA_DIR": str(tmp_path / "data"), "INTERLOCK_FSYNC": "always",
                     "LOOPIN_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    server = ServeProcess(env, args=(), port=port, log=tmp_path / "serve.log").wait_ready()
    try:
        with Interlock(server.url, AGENT_KEY) as il:
            pending = il.create("Migrate the database", context={}, user_id="ops", agent_id="dba")
            waiting = attached_wait(il, server, pending.id)
            server.proc.kill()  # kill -9: the embedded store goes with it (and keeps what it acknowledged)
            server.stop()
            server = ServeProcess(env, args=(), port=port, log=tmp_path / "serve.log").wait_ready()
            with Reviewer(server.url) as reviewer:
                poll_until(lambda: ready(server), "its store to be back", 30)
                reviewer.decide(pending.id, "approved")
            assert waiting.outcome().status == "approved"
    finally:
        server.stop()


@pytest.mark.timeout(120)
def test_a_wait_outlives_redis_going_away_and_coming_back(tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis").start()
    server = ServeProcess(KEY_ENV | {"REDIS_URL": redis.url}, log=tmp_path / "serve.log").wait_ready()
    try:
        with Interlock(server.url, AGENT_KEY) as il:
            pending = il.create("Rotate the keys", context={}, user_id="sec", agent_id="vault")
            waiting = attached_wait(il, server, pending.id)
            redis.stop()  # the API answers 503 and ends the stream; the client keeps trying
            log = tmp_path / "serve.log"
            poll_until(lambda: "event stream ended" in log.read_text(), "the stream to end on the outage", 30)
            redis.start()  # same port and data: the interrupt is still pending
            with Reviewer(server.url) as reviewer:
                poll_until(lambda: ready(server), "the store to be back", 30)
                reviewer.decide(pending.id, "approved")
            assert waiting.outcome().status == "approved"
    finally:
        server.stop()
        redis.stop()


def attached_wait(il: Interlock, server: ServeProcess, interrupt_id: str) -> Background:
    """`il.wait(interrupt_id)` on a thread, once the server holds its stream open."""
    waiting = Background(lambda: il.wait(interrupt_id, timeout=90))
    poll_until(lambda: waiters_open(server) == 1, "the wait's stream to be open", timeout=30)
    return waiting


def ready(server: ServeProcess) -> bool:
    """True once the server's store answers (`/readyz`)."""
    return httpx.get(f"{server.url}/readyz").status_code == 200


def waiters_open(server: ServeProcess) -> float:
    """The server's count of open long-polls and streams (its metrics)."""
    text = httpx.get(f"{server.url}/metrics", headers={"X-API-Key": KEY_ENV["API_KEY_SECRET"]}).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("interlock_waiters_open"))


class DroppingProxy:
    """A loopback HTTP relay that forwards the first create but loses its response (closes instead)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.creates = 0
        self.port = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["DroppingProxy"]:
        """Serve on a free loopback port while the block runs."""
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as self._http:
            server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            async with server:
                yield self

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if line)
                size = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
                body = await reader.readexactly(size)
                sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
                answer = await self._http.request(method, target, headers=sent, content=body)
                if method == "POST" and target == "/interrupts":
                    self.creates += 1
                    if self.creates == 1:  # made upstream; its 201 never reaches the client
                        break
                status = f"HTTP/1.1 {answer.status_code} {answer.reason_phrase}\r\n"
                lines = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items()
                                if k.lower() not in ("content-length", "transfer-encoding", "connection"))  # fmt: skip
                writer.write(f"{status}{lines}content-length: {len(answer.content)}\r\n\r\n".encode() + answer.content)
                await writer.drain()
        writer.close()


@pytest.mark.timeout(60)
async def test_a_create_whose_response_is_lost_makes_exactly_one_interrupt(api: ServeProcess, user: str) -> None:
    async with DroppingProxy(api.url).running() as proxy, AsyncInterlock(f"http://127.0.0.1:{proxy.port}",
                                                                         AGENT_KEY) as il:  # fmt: skip
        pending = await il.create("Charge card", context={"cents": 999}, user_id=user, agent_id="billing")
    assert proxy.creates == 2  # the first attempt's answer was lost, the retry was answered
    async with httpx.AsyncClient(base_url=api.url, headers={"X-API-Key": KEY_ENV["API_KEY_SECRET"]}) as http:
        listed = (await http.get(f"/interrupts/pending/{user}")).json()
    assert [item["interruptId"] for item in listed] == [pending.id]


@pytest.mark.timeout(60)
async def test_verify_webhook_accepts_the_workers_deliveries_and_refuses_forgeries(
    api: ServeProcess, user: str
) -> None:
    receiver = Receiver()
    async with running(receiver):
        async with AsyncInterlock(**agent_args(api)) as il:
            hook = receiver.url("/h")
            pending = await il.create("Deploy", context={}, user_id=user, agent_id="ci", callback_url=hook)
            await il.cancel(pending.id)
        delivered = await asyncio.wait_for(receiver.wait_for("/h", 1), 30)
    body, headers = delivered[0].body, delivered[0].headers
    assert verify_webhook(body, headers, SECRET) == {"interruptId": pending.id, "status": "cancelled"}
    for forged_body, forged_headers, secret in [
        (body.replace(b"cancelled", b"approved"), headers, SECRET),
        (body, headers, "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"),
        (body, {k: v for k, v in headers.items() if k != "webhook-signature"}, SECRET),
        (body, headers | {"webhook-timestamp": "1000000000"}, SECRET),
        (body, headers | {"webhook-signature": "v1,???"}, SECRET),
    ]:
        with pytest.raises(InvalidWebhook):
            verify_webhook(forged_body, forged_headers, secret)


@pytest.mark.timeout(30)
async def test_a_proxy_answering_200_without_events_does_not_hold_a_wait_forever() -> None:
    handlers: list[asyncio.Task[None]] = []

    async def not_a_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\n\r\nhello")
                await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    server = await asyncio.start_server(not_a_stream, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with AsyncInterlock(f"http://127.0.0.1:{port}", "k", retry_for=0.5) as il:
            with pytest.raises(Unavailable):
                await il.wait("00000000-0000-4000-8000-000000000000")
        await asyncio.wait_for(asyncio.gather(*handlers), 10)  # each connection the client closed has ended
