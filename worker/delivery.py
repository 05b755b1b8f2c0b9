"""One webhook attempt: reload the interrupt, guard the address, POST the signed body, log the outcome."""

import asyncio
import functools
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from service.clock import Clock
from service.domain import addresses
from service.domain.loops import Loop
from service.domain.models import Attempt, Interrupt
from service.jobs import JobQueue
from service.store.deliveries import DeliveryStore
from worker import webhooks
from worker.batching import Batcher, committing

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Interlock-Webhooks/1"
_TIMEOUTS = {"timeout": {"connect": TIMEOUT_S, "read": TIMEOUT_S, "write": TIMEOUT_S, "pool": TIMEOUT_S}}

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now (the addresses checked are the ones connected to)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Blocked(Exception):
    """The callback's address is not one a webhook may reach."""


@dataclass(slots=True)
class Deliverer:
    """Sends webhook attempts; every attempt ends in the delivery log, whatever happens."""

    deliveries: DeliveryStore
    queue: JobQueue
    transport: httpx.AsyncBaseTransport  # redirects are never followed: nothing above it would
    secrets: list[str]
    allowed: tuple[addresses.Network, ...]
    clock: Clock
    retry_scale: float = 1.0
    resolver: Resolver = resolve
    rng: random.Random = field(default_factory=random.Random)
    _loads: Batcher[tuple[str, str], tuple[Interrupt | Loop | None, list[Attempt]]] = field(init=False)
    _writes: Batcher[tuple[str, Attempt, str | None], None] = field(init=False)

    def __post_init__(self) -> None:
        # concurrent deliveries share round trips: one pipeline of loads, one transaction of logs + acks
        self._loads = Batcher(self.deliveries.load_many)
        self._writes = committing(self.deliveries.record_many)

    async def attempt(
        self,
        subject_id: str,
        version: int,
        number: int | None,
        *,
        manual: bool,
        entry_id: str | None = None,
        kind: str = "interrupt",
    ) -> Attempt | None:
        """Make attempt `number` (None: the next one) unless it is moot; schedule the retry; ack `entry_id`.

        Returns the attempt made, the latest earlier one when this one already happened, or None
        when there is nothing to send (gone, no callback, not settled). The outbox entry is
        acknowledged only once the attempt is logged and its retry (if any) is scheduled.
        """
        record, prior = await self._loads((kind, subject_id))
        subject = webhooks.subject_of(record) if record is not None else None
        if subject is None or subject.callback_url is None or subject.version != version or not subject.settled:
            await self._ack(entry_id)
            return None
        if not manual and (any(a.state == "delivered" for a in prior) or (number or 1) <= len(prior)):
            # a duplicate job, or a re-claimed entry whose attempt already happened: make sure the
            # retry it left is scheduled (the caller may have died first), then report it
            await self._follow_up(subject, kind, prior[-1] if prior else None)
            await self._ack(entry_id)
            return prior[-1] if prior else None
        attempt = await self._send(subject, len(prior) + 1, manual=manual)
        if attempt.state == "retrying" and not manual:
            await self._writes((subject_id, attempt, None))
            await self._follow_up(subject, kind, attempt)
            await self._ack(entry_id)
        else:  # the common case: log and acknowledge in one transaction
            await self._writes((subject_id, attempt, entry_id))
        level = logging.DEBUG if attempt.state == "delivered" else logging.INFO  # failures are what operators read
        log.log(level, "webhook %s attempt %d: %s", subject_id, attempt.attempt, attempt.status_code or attempt.error)
        return attempt

    async def _ack(self, entry_id: str | None) -> None:
        if entry_id is not None:
            await self.deliveries.ack([entry_id])

    async def _follow_up(self, subject: webhooks.Subject, kind: str, last: Attempt | None) -> None:
        """Schedule the attempt after `last` when it left the delivery retrying (arq drops a duplicate job id)."""
        if last is not None and last.state == "retrying" and last.next_attempt_at is not None:
            delay_s = max(0.0, (last.next_attempt_at - self.clock.now_ms()) / 1000)
            await self.queue.schedule_delivery(subject.id, subject.version, last.attempt + 1, delay_s, kind=kind)

    async def notify(self, subject: webhooks.Subject) -> Attempt:
        """One signed attempt of a webhook that is not a transition's (a reminder): no retry, no delivery log."""
        return await self._send(subject, 1, manual=True)

    async def _send(self, subject: webhooks.Subject, number: int, *, manual: bool) -> Attempt:
        msg_id = subject.webhook_id or webhooks.webhook_id(subject.id, subject.version)
        started, at = time.perf_counter(), self.clock.now_ms()
        status_code, error, retry_after = None, None, None
        try:
            async with asyncio.timeout(TIMEOUT_S):  # the whole attempt, however slowly the receiver drips
                response = await self._post(subject, msg_id)
            status_code = response.status_code
            retry_after = webhooks.parse_retry_after(response.headers.get("retry-after"), at / 1000)
            outcome = webhooks.verdict(status_code)
        except Blocked as exc:
            error, outcome = f"blocked: {exc}", "failed"
        except httpx.HTTPError as exc:
            error, outcome = _describe(exc), "retry"
        except TimeoutError:
            error, outcome = f"timed out after {TIMEOUT_S:.0f} s", "retry"
        except httpx.InvalidURL as exc:
            error, outcome = _describe(exc), "failed"
        duration = round((time.perf_counter() - started) * 1000)
        next_at = None
        if outcome == "retry":
            delay = None if manual else webhooks.retry_delay_s(number, self.rng, retry_after)
            if delay is None:
                outcome = "failed"
            else:
                next_at = at + round(delay * self.retry_scale * 1000)
        state = {"delivered": "delivered", "failed": "failed", "retry": "retrying"}[outcome]
        return Attempt(
            webhook_id=msg_id,
            event=subject.event,
            attempt=number,
            at=at,
            status_code=status_code,
            error=error,
            duration_ms=duration,
            state=state,
            next_attempt_at=next_at,
        )

    async def _post(self, subject: webhooks.Subject, msg_id: str) -> httpx.Response:
        url = subject.callback_url or ""
        target, extensions = await self._pinned(url)
        body = subject.body
        timestamp = self.clock.now_ms() // 1000
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhooks.signature(self.secrets, msg_id, timestamp, body),
            "host": urlsplit(url).netloc.rsplit("@", 1)[-1],
        }
        # straight to the transport: no cookies, auth or redirect handling to pay for (none is wanted)
        request = httpx.Request("POST", target, content=body, headers=headers, extensions=extensions | _TIMEOUTS)
        response = await self.transport.handle_async_request(request)
        try:
            read = 0
            async for chunk in response.aiter_raw():  # read at most 64 KiB of whatever the receiver says
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break
        finally:
            await response.aclose()
        return response

    async def _pinned(self, url: str) -> tuple[httpx.URL, dict[str, object]]:
        """The URL rewritten to a checked IP (so a second lookup cannot point elsewhere), with the SNI name."""
        host = addresses.host_of(url)  # read as the guard reads it, before any parser can disagree
        literal = addresses.literal_address(host)
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = await self.resolver(host, _port_of(url))
            except OSError as exc:
                raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        checked = [addresses.parse_address(a) for a in candidates]
        for address in checked:
            reason = addresses.refusal(address, self.allowed)
            if reason:
                raise Blocked(reason)
        if not checked:
            raise httpx.ConnectError(f"{host} resolves to no address")
        return _target(url, str(checked[0])), {"sni_hostname": host} if url[:6].lower() == "https:" else {}


@functools.lru_cache(maxsize=4096)
def _target(url: str, address: str) -> httpx.URL:
    """`url` with its host replaced by `address` (cached: most callbacks repeat, and parsing is not free)."""
    return httpx.URL(url).copy_with(host=address)


def _port_of(url: str) -> int:
    parsed = httpx.URL(url)
    return parsed.port or (443 if parsed.scheme == "https" else 80)


def _describe(exc: Exception) -> str:
    """An error's class and message, for the delivery log."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
