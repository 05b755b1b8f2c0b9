"""The client's rules without any I/O, shared by `Interlock` and `AsyncInterlock`.

What each call sends, what an answer means, how long to wait between attempts, how an event
stream is parsed and when a wait gives up: stated once here, so the two clients differ only in
how they send.
"""

import json
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Required, TypedDict, TypeVar, Unpack
from urllib.parse import quote

from interlock_client.errors import STATUS_ERRORS, ApiError, Conflict, Unavailable, WaitTimeout
from interlock_client.models import Decision, Interrupt, LoopOutcome

T = TypeVar("T")
DEFAULT_URL = "http://localhost:3002"  # as `interlock mcp` assumes
LONG_POLL_S = 55.0  # the API's longest long-poll
STREAM_IDLE_S = 50.0  # the API pings a stream every 15 s: this long without a byte, the connection is dead
CONNECT_S = 10.0
RETRYABLE = frozenset({429, 502, 503, 504})  # the API or its proxy is restarting, or asks us to come back
POLICIES = ("all", "any", "quorum")
DEFAULT_URGENCY = "medium"
DEFAULT_EXPIRES_IN = 3600.0  # seconds: an interrupt's lifetime, and a loop participant's, unless given


@dataclass(frozen=True, slots=True)
class Call:
    """One request: what to send, and (for a retried cancel) which refusal means it already happened."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    done_if: Callable[[ApiError], bool] | None = None  # a retry refused like this: the first attempt won


def connection(
    base_url: str | None, api_key: str | None, env: Mapping[str, str] = os.environ
) -> tuple[str, dict[str, str]]:
    """The API's base URL and the headers every request carries (`LOOPIN_API_URL`/`LOOPIN_API_KEY` by default)."""
    base = (base_url or env.get("LOOPIN_API_URL") or DEFAULT_URL).rstrip("/")
    key = api_key if api_key is not None else env.get("LOOPIN_API_KEY")
    headers = {"Accept": "application/json", "User-Agent": "interlock-client/0.1"}
    return base, headers | ({"X-API-Key": key} if key else {})


def _id(value: str) -> str:
    """An id as one path segment."""
    return quote(value, safe="")


class InterruptOptions(TypedDict, total=False):
    """What an interrupt asks besides its action (`ask`, `create`); the defaults are `create`'s."""

    context: Required[Mapping[str, Any]]  # what the reviewer needs to decide (a JSON object)
    user_id: Required[str]  # whose queue it lands in
    agent_id: Required[str]  # who asks
    urgency: str  # low | medium | high
    expires_in: float  # seconds until it expires undecided
    callback_url: str | None  # a signed webhook when it ends
    reviewers: list[str] | None  # addresses mailed their own signed link
    idempotency_key: str | None  # your own key (default: a fresh one per call, reused by its retries)
    on_timeout: str | None  # "approved" or "rejected": the decision made at the deadline if nobody decides
    response_schema: Mapping[str, Any] | None  # a JSON Schema of the typed answer (`Decision.response`)
    remind_every: float | None  # while pending, remind the reviewers every this many seconds (at least 60)
    escalate_after: float | None  # seconds after which, if still pending, `escalate_to` become reviewers
    escalate_to: list[str] | None  # the addresses added (each mailed their own link)


def create(action: str, **options: Unpack[InterruptOptions]) -> Call:
    """`POST /interrupts`, with an `Idempotency-Key` of its own so a retried create never makes two."""
    body: dict[str, Any] = {
        "agentId": options["agent_id"],
        "userId": options["user_id"],
        "action": action,
        "context": dict(options["context"]),
        "urgency": options.get("urgency", DEFAULT_URGENCY),
        "expiresIn": options.get("expires_in", DEFAULT_EXPIRES_IN),
    }
    schema = options.get("response_schema")
    optional = {"callbackUrl": options.get("callback_url"), "reviewers": options.get("reviewers") or None,
                "onTimeout": options.get("on_timeout"), "responseSchema": dict(schema) if schema else None,
                "remindEvery": options.get("remind_every"), "escalateAfter": options.get("escalate_after"),
                "escalateTo": options.get("escalate_to") or None}  # fmt: skip
    body |= {name: value for name, value in optional.items() if value is not None}
    return Call("POST", "/interrupts", body, _idempotency(options.get("idempotency_key")))


def _idempotency(key: str | None) -> dict[str, str]:
    """The header that makes a create safe to retry: the caller's key, or a fresh one for this call."""
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def read(interrupt_id: str) -> Call:
    """`GET /interrupts/{id}`."""
    return Call("GET", f"/interrupts/{_id(interrupt_id)}")


def cancel(interrupt_id: str) -> Call:
    """`DELETE /interrupts/{id}`; a retry told it is already cancelled means the first attempt did it."""
    return Call("DELETE", f"/interrupts/{_id(interrupt_id)}", done_if=_cancelled)


def _cancelled(error: ApiError) -> bool:
    return isinstance(error, Conflict) and str(error.problem.get("error", "")).endswith(": cancelled")


class LoopOptions(TypedDict, total=False):
    """What a loop asks besides its name and description (`ask_loop`, `create_loop`)."""

    participants: Required[list[str]]  # one bare email address each
    policy: str  # all | any | quorum (with `quorum`)
    quorum: int | None  # k accepts decide it, with policy "quorum"
    participant_timeout: float  # seconds (sent as the API's milliseconds)
    callback_url: str | None
    idempotency_key: str | None


def create_loop(name: str, description: str, **options: Unpack[LoopOptions]) -> Call:
    """`POST /v1/loop/create` (`participant_timeout` in seconds, sent as the API's milliseconds)."""
    policy, quorum = options.get("policy", "all"), options.get("quorum")
    if policy not in POLICIES or (policy == "quorum") != (quorum is not None):
        raise ValueError('policy is "all", "any", or "quorum" with quorum=k (and quorum only with it)')
    body: dict[str, Any] = {
        "loop_name": name,
        "loop_description": description,
        "participants": list(options["participants"]),
        "participant_timeout": round(options.get("participant_timeout", DEFAULT_EXPIRES_IN) * 1000),
        "policy": {"quorum": quorum} if quorum else policy,
    }
    if (callback_url := options.get("callback_url")) is not None:
        body["callback_url"] = callback_url
    return Call(
        "POST", "/v1/loop/create", body, {"Idempotency-Key": options.get("idempotency_key") or str(uuid.uuid4())}
    )


class StreamEnded(Exception):
    """A stream closed before the outcome (the API restarting): connect again."""


def refusal(status: int, content: bytes, retry_after: str | None = None) -> ApiError:
    """The typed error of a refused request, carrying its problem JSON (or what there was of it)."""
    try:
        problem = json.loads(content) if content else {}
    except ValueError:
        problem = {}
    error = STATUS_ERRORS.get(status, ApiError)(status, problem if isinstance(problem, dict) else {})
    error.retry_after = float(retry_after) if retry_after and retry_after.isascii() and retry_after.isdigit() else None
    return error


def is_retryable(error: BaseException) -> bool:
    """True for an answer that says: try again (a restart, a proxy without a backend, a rate limit)."""
    return isinstance(error, StreamEnded) or (isinstance(error, ApiError) and error.status in RETRYABLE)


def retry_after(error: BaseException) -> float | None:
    """The seconds a 429 or 503 asked to wait (its `Retry-After`), if it said."""
    return error.retry_after if isinstance(error, ApiError) else None


class Backoff:
    """Pauses between attempts: doubling from 50 ms to 5 s, fully jittered, for `budget_s` of failures in a row."""

    def __init__(
        self,
        budget_s: float,
        *,
        first_s: float = 0.05,
        cap_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._budget, self._first, self._cap = budget_s, first_s, cap_s
        self._clock, self._rng = clock, rng
        self._failing_since: float | None = None
        self._tries = 0

    def reset(self) -> None:
        """The last attempt got through."""
        self._failing_since, self._tries = None, 0

    def delay(self, error: BaseException, hint_s: float | None = None) -> float:
        """How long to wait before the next attempt; raises Unavailable (from `error`) once the budget is spent."""
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._failing_since >= self._budget:
            raise Unavailable(f"the API did not answer for {self._budget:g} s: {error}") from error
        wait = self._rng() * min(self._cap, self._first * float(2**self._tries))
        self._tries += 1
        left = self._budget - (now - self._failing_since)  # a long Retry-After waits out the budget, no more
        return min(max(wait, hint_s or 0.0), left)


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event."""

    id: str | None
    event: str
    data: str


class SseParser:
    """Server-sent events from lines (the WHATWG rules: `event`, `data`, `id`; comments and `retry` skipped)."""

    def __init__(self) -> None:
        self._event, self._data, self._id = "", [], None  # type: tuple[str, list[str], str | None]

    def feed(self, line: str) -> Event | None:
        """Take one line (without its line break); an event when the line ends one."""
        if not line:
            if not self._data:
                self._event = ""
                return None
            done = Event(self._id, self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


class Waiting(Generic[T]):
    """One wait for an outcome: what to ask next (stream or long-poll), what answers mean, when to stop.

    The stream resumes with `Last-Event-ID`, so a reconnect gets only what it has not seen; a 204
    (the stream has nothing after the final event) sends it to read the outcome once.
    """

    def __init__(
        self,
        subject_id: str,
        paths: tuple[str, str],
        finish: Callable[[dict[str, Any]], T | None],
        timeout: float | None,
        backoff: Backoff,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subject_id = subject_id
        self.stream_path, self.poll_path = paths
        self.finish = finish
        self.backoff = backoff
        self.last_event_id: str | None = None
        self._clock = clock
        self._deadline = None if timeout is None else clock() + timeout

    def remaining(self) -> float | None:
        """Seconds left before the wait's own timeout (None: no timeout); WaitTimeout once none are."""
        if self._deadline is None:
            return None
        left = self._deadline - self._clock()
        if left <= 0:
            raise WaitTimeout(self.subject_id)
        return left

    def stream_headers(self) -> dict[str, str]:
        """The stream request's headers."""
        return {"Accept": "text/event-stream"} | ({"Last-Event-ID": self.last_event_id} if self.last_event_id else {})

    def read_timeout(self, idle_s: float = STREAM_IDLE_S) -> float:
        """How long one read may take: a dead connection is noticed, and the wait's timeout is kept."""
        left = self.remaining()
        return idle_s if left is None else min(idle_s, left)

    def poll_seconds(self) -> float:
        """The `wait` of the next long-poll."""
        left = self.remaining()
        return LONG_POLL_S if left is None else max(min(LONG_POLL_S, left), 0.001)

    def on_event(self, event: Event) -> T | None:
        """The outcome, when this event carries it (an event is what proves the stream works: the backoff resets)."""
        self.backoff.reset()
        if event.id is not None:
            self.last_event_id = event.id
        return self.finish(json.loads(event.data))

    def on_answer(self, data: dict[str, Any]) -> T | None:
        """The outcome, when a read or long-poll answer carries it."""
        self.backoff.reset()
        return self.finish(data)

    def failed(self, error: BaseException) -> float:
        """The pause before trying again after `error`; raises when the wait is over (timeout or budget)."""
        self.remaining()
        pause = self.backoff.delay(error, retry_after(error))
        left = self.remaining()
        return pause if left is None else min(pause, left)


def interrupt_wait(interrupt_id: str, timeout: float | None, backoff: Backoff) -> Waiting[Decision]:
    """The wait for an interrupt's outcome."""
    path = f"/interrupts/{_id(interrupt_id)}"
    return Waiting(interrupt_id, (f"{path}/events", path), _interrupt_outcome, timeout, backoff)


def _interrupt_outcome(data: dict[str, Any]) -> Decision | None:
    record = Interrupt.from_api(data)
    return None if record.pending else record.outcome()


def loop_wait(loop_id: str, timeout: float | None, backoff: Backoff) -> Waiting[LoopOutcome]:
    """The wait for a loop's outcome (its stream's events are its status `data`; polls answer the envelope)."""
    paths = (f"/v1/loop/events/{_id(loop_id)}", f"/v1/loop/status/{_id(loop_id)}")
    return Waiting(loop_id, paths, _loop_outcome, timeout, backoff)


def _loop_outcome(data: dict[str, Any]) -> LoopOutcome | None:
    status = data.get("data", data)  # a poll's envelope, or a stream event's data
    return None if status.get("result") is None else LoopOutcome.from_api(status)
