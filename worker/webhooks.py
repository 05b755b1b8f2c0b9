"""Webhook rules as pure functions: the compat bodies, Standard Webhooks signing, the retry schedule."""

import base64
import email.utils
import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from service.clock import iso_ms
from service.domain import loops, machine
from service.domain.loops import Loop
from service.domain.models import Interrupt, webhook_id

__all__ = ["webhook_id"]

# delay before attempt n+1, counted from attempt n (the spec's 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)
SCHEDULE_S = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(SCHEDULE_S)
JITTER = 0.10
MAX_RETRY_AFTER_S = 86_400

_encoder = msgspec.json.Encoder()


def payload(record: Interrupt) -> bytes:
    """The compat body for a terminal interrupt: decided, expired or cancelled shapes."""
    body: dict[str, object] = {"interruptId": record.id, "status": record.status}
    if record.decision is not None:
        body["decision"] = record.decision
        body["decidedAt"] = iso_ms(record.decided_at) if record.decided_at is not None else None
        if record.reason is not None:
            body["reason"] = record.reason
        if record.modified_params is not None:
            body["modifiedParams"] = msgspec.Raw(record.modified_params.encode())
        if record.decided_by is not None:
            body["decidedBy"] = record.decided_by
        if record.response is not None:
            body["response"] = msgspec.Raw(record.response.encode())
    return _encoder.encode(body)


@dataclass(frozen=True, slots=True)
class Subject:
    """What a webhook is about, whatever it is: an interrupt or a loop."""

    id: str
    version: int
    callback_url: str | None
    settled: bool
    event: str
    body: bytes
    webhook_id: str = ""  # its `webhook-id`; empty: the version's (webhook_id(id, version))


def reminder_subject(record: Interrupt, number: int) -> Subject:
    """The `reminder` webhook of reminder `number` of a pending interrupt (its own webhook-id, sent once)."""
    body = _encoder.encode({"interruptId": record.id, "status": record.status, "event": "reminder",
                            "reminder": number, "expiresAt": iso_ms(record.expires_at)})  # fmt: skip
    return Subject(id=record.id, version=record.version, callback_url=record.callback_url, settled=False,
                   event="interrupt.reminder", body=body, webhook_id=f"msg_{record.id}_reminder_{number}")  # fmt: skip


def subject_of(record: Interrupt | Loop) -> Subject:
    """The webhook view of a stored interrupt or loop."""
    if isinstance(record, Loop):
        return Subject(
            id=record.id,
            version=record.version,
            callback_url=record.callback_url,
            settled=record.status != loops.PENDING,
            event=f"loop.{record.status.lower()}",
            body=loop_payload(record),
        )
    return Subject(
        id=record.id,
        version=record.version,
        callback_url=record.callback_url,
        settled=record.status != machine.PENDING,
        event=f"interrupt.{record.status}",
        body=payload(record),
    )


def loop_payload(record: Loop) -> bytes:
    """The body for a decided loop: its status, message and every participant (as the result route)."""
    results = [{"email": p.email, "promise_id": p.promise_id, "accept": p.accept, "state": p.state}
               for p in record.participants]  # fmt: skip
    return _encoder.encode(
        {"loop_id": record.id, "status": record.status, "message": record.message, "results": results}
    )


def secrets_from(setting: str) -> list[str]:
    """The signing secrets in WEBHOOK_SECRET: one, or several separated by spaces or commas during rotation."""
    return [part for part in setting.replace(",", " ").split() if part]


def signature(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    parts = []
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(digest).decode())
    return " ".join(parts)


def verdict(status_code: int) -> str:
    """What a response means: `delivered` (2xx), `retry` (408, 429, 5xx) or `failed` (410 and the rest)."""
    if 200 <= status_code < 300:
        return "delivered"
    if status_code in (408, 429) or status_code >= 500:
        return "retry"
    return "failed"


def retry_delay_s(attempt: int, rng: random.Random, retry_after_s: float | None = None) -> float | None:
    """Seconds to wait after failed attempt `attempt` (1-based), with ±10 % jitter; None when it was the last."""
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = SCHEDULE_S[attempt] * (1 + rng.uniform(-JITTER, JITTER))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_S))
    return delay


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_s)
