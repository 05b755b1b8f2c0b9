"""`Interlock`: the blocking client (for agents that are plain Python functions)."""

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from interlock_client import protocol
from interlock_client.errors import ApiError
from interlock_client.models import Decision, Interrupt, Loop, LoopOutcome, Pending
from interlock_client.protocol import Backoff, Call, InterruptOptions, LoopOptions, SseParser, StreamEnded, Waiting

T = TypeVar("T")


class Interlock:
    """Ask humans through an Interlock API; every call retries through restarts and dropped connections.

    `base_url` and `api_key` default to `LOOPIN_API_URL` and `LOOPIN_API_KEY`. `timeout` bounds one
    plain request; `retry_for` how long failures in a row are retried before `Unavailable`;
    `stream=False` waits by long-poll instead of the event stream (for proxies that buffer streams).
    `http` is an `httpx.Client` of your own (its base URL, headers and transport as you set them).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry_for: float = 60.0,
        stream: bool = True,
        http: httpx.Client | None = None,
    ) -> None:
        base, headers = protocol.connection(base_url, api_key)
        self._owned = http is None  # a client passed in is the caller's to close
        self._http = http or httpx.Client(base_url=base, headers=headers, timeout=timeout)
        self._retry_for = retry_for
        self._stream = stream

    def __enter__(self) -> "Interlock":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (a client passed as `http` is left to its owner)."""
        if self._owned:
            self._http.close()

    def ask(self, action: str, **options: Unpack[InterruptOptions]) -> Decision:
        """Create an interrupt and block until it is decided, expired or cancelled.

        Options: `context`, `user_id`, `agent_id` (required), `urgency` ("medium"), `expires_in` (3600 s),
        `callback_url`, `reviewers`, `idempotency_key`, and `on_timeout` ("approved" or "rejected":
        decided so at the deadline if nobody has, `decided_by` "timeout"; without it, it expires).
        """
        return self.wait(self.create(action, **options).id)

    def create(self, action: str, **options: Unpack[InterruptOptions]) -> Pending:
        """Create an interrupt and return at once (wait for it later, from here or from another process)."""
        return Pending.from_api(self._send(protocol.create(action, **options)))

    def wait(self, interrupt_id: str, timeout: float | None = None) -> Decision:
        """Block until the interrupt is no longer pending (WaitTimeout after `timeout` seconds, if given)."""
        return self._wait(protocol.interrupt_wait(interrupt_id, timeout, self._backoff()))

    def get(self, interrupt_id: str) -> Interrupt:
        """The interrupt as it is now."""
        return Interrupt.from_api(self._send(protocol.read(interrupt_id)))

    def cancel(self, interrupt_id: str) -> None:
        """Withdraw a pending interrupt (Conflict when it has already ended otherwise)."""
        self._send(protocol.cancel(interrupt_id))

    def ask_loop(
        self,
        name: str,
        description: str,
        *,
        on_created: Callable[[Loop], None] | None = None,
        **options: Unpack[LoopOptions],
    ) -> LoopOutcome:
        """Create a loop and block until its outcome; `on_created` gets the participants' links first."""
        loop = self.create_loop(name, description, **options)
        if on_created is not None:
            on_created(loop)
        return self.wait_loop(loop.loop_id)

    def create_loop(self, name: str, description: str, **options: Unpack[LoopOptions]) -> Loop:
        """Create a loop (N participants, one outcome) and return at once.

        Options: `participants` (required), `policy` ("all", "any" or "quorum" with `quorum`),
        `participant_timeout` (seconds, default 3600), `callback_url`, `idempotency_key`.
        """
        created = self._send(protocol.create_loop(name, description, **options))
        return Loop.from_api(created["data"]["loop_data"])

    def wait_loop(self, loop_id: str, timeout: float | None = None) -> LoopOutcome:
        """Block until the loop is decided (WaitTimeout after `timeout` seconds, if given)."""
        return self._wait(protocol.loop_wait(loop_id, timeout, self._backoff()))

    def _backoff(self) -> Backoff:
        return Backoff(self._retry_for)

    def _send(self, call: Call) -> dict[str, Any]:
        """The answer's JSON; retried (same idempotency key) on network errors and 429/5xx until the budget is spent."""
        backoff, attempt = self._backoff(), 0
        while True:
            attempt += 1
            try:
                response = self._http.request(call.method, call.path, json=call.body, headers=dict(call.headers))
                if response.status_code < 400:
                    return response.json() if response.content else {}
                error: Exception = protocol.refusal(
                    response.status_code, response.content, response.headers.get("retry-after")
                )
            except httpx.TransportError as exc:
                error = exc
            if isinstance(error, ApiError) and attempt > 1 and call.done_if is not None and call.done_if(error):
                return {}
            if isinstance(error, ApiError) and not protocol.is_retryable(error):
                raise error
            time.sleep(backoff.delay(error, protocol.retry_after(error)))

    def _wait(self, waiting: Waiting[T]) -> T:
        while True:
            try:
                outcome = self._stream_once(waiting) if self._stream else self._poll_once(waiting)
                if outcome is not None:
                    return outcome
            except (httpx.TransportError, ApiError, StreamEnded) as error:
                if isinstance(error, ApiError) and not protocol.is_retryable(error):
                    raise
                time.sleep(waiting.failed(error))

    def _stream_once(self, waiting: Waiting[T]) -> T | None:
        timeout = httpx.Timeout(protocol.CONNECT_S, read=waiting.read_timeout())
        with self._http.stream("GET", waiting.stream_path, headers=waiting.stream_headers(), timeout=timeout) as reply:
            if reply.status_code == 204:  # the final event was already ours: read the outcome once
                return waiting.on_answer(self._send(Call("GET", waiting.poll_path)))
            if reply.status_code >= 400:
                raise protocol.refusal(reply.status_code, reply.read(), reply.headers.get("retry-after"))
            parser = SseParser()
            for line in reply.iter_lines():
                if (event := parser.feed(line)) is not None and (outcome := waiting.on_event(event)) is not None:
                    return outcome
        raise StreamEnded()

    def _poll_once(self, waiting: Waiting[T]) -> T | None:
        seconds = waiting.poll_seconds()
        timeout = httpx.Timeout(protocol.CONNECT_S, read=seconds + 15)
        reply = self._http.get(waiting.poll_path, params={"wait": f"{seconds:.3f}"}, timeout=timeout)
        if reply.status_code >= 400:
            raise protocol.refusal(reply.status_code, reply.content, reply.headers.get("retry-after"))
        return waiting.on_answer(reply.json())
