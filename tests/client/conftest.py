"""A real `interlock serve` (API and worker, role keys) for the client, and a reviewer that decides through it."""

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from service.embedded import free_port
from tests.conftest import AGENT_KEY, KEY_ENV, REVIEWER_KEY
from tests.processes import ServeProcess, poll_until
from tests.receivers import SECRET

CLIENT_DB = 11  # this module's worker consumes every outbox entry of its database: its own database


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """`interlock serve` with its worker, agent and reviewer keys, webhooks allowed to loopback receivers."""
    port = free_port()
    env = KEY_ENV | {
        "REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/{CLIENT_DB}",
        "LOOPIN_BASE_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_SECRET": SECRET,
        "INTERLOCK_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8",
    }
    proc = ServeProcess(env, args=(), port=port, log=tmp_path_factory.mktemp("client") / "serve.log").wait_ready()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def user() -> str:
    """A user of its own per test, so pending lists do not mix."""
    return f"client-{uuid.uuid4().hex[:10]}"


class Reviewer:
    """A human, played through the API with a reviewer key."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-API-Key": REVIEWER_KEY}, timeout=30)

    def __enter__(self) -> "Reviewer":
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def decide(self, interrupt_id: str, decision: str, **extra: Any) -> None:
        """Approve or reject it."""
        reply = self.http.post(f"/interrupts/{interrupt_id}/decide", json={"decision": decision} | extra)
        assert reply.status_code == 200, reply.text

    def first_pending(self, user: str) -> str:
        """The id of `user`'s first pending interrupt, once there is one (asked by a call still in flight)."""
        found: list[str] = []

        def listed() -> bool:
            found[:] = [item["interruptId"] for item in self.http.get(f"/interrupts/pending/{user}").json()]
            return bool(found)

        poll_until(listed, f"an interrupt pending for {user}", timeout=30)
        return found[0]


@pytest.fixture
def reviewer(api: ServeProcess) -> Iterator[Reviewer]:
    """The reviewer of `api`."""
    made = Reviewer(api.url)
    try:
        yield made
    finally:
        made.http.close()


def agent_args(api: ServeProcess) -> dict[str, Any]:
    """How an agent's client reaches `api`."""
    return {"base_url": api.url, "api_key": AGENT_KEY}


class Background(threading.Thread):
    """A blocking call run on a thread, its result or error kept for the test."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._call = call
        self.result: Any = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self._call()
        except BaseException as error:  # the test inspects it
            self.error = error

    def outcome(self, timeout: float = 30) -> Any:
        """The call's result (its error raised here)."""
        self.join(timeout)
        assert not self.is_alive(), "the call did not return"
        if self.error is not None:
            raise self.error
        return self.result
