"""One attempt at sending a mail, with the retry rule every mail of Interlock follows (invitations, review mails)."""

import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from worker import mail

log = logging.getLogger(__name__)
FINAL = frozenset({"sent", "failed", "skipped"})  # states after which a mail is never tried again
Mark = Callable[[str, int], Awaitable[str]]  # (state, attempts) → the state, once recorded
Retry = Callable[[int, float], Awaitable[None]]  # (next attempt, delay s) → scheduled


async def attempt_send(
    message: EmailMessage,
    recipient: str,
    *,
    sender: str | None,
    smtp: dict[str, Any] | None,
    attempt: int,
    mark: Mark,
    retry: Retry,
    retry_scale: float = 1.0,
) -> str:
    """Send attempt `attempt`; record `sent`, `retrying` (and schedule the next) or `failed`; the state after it."""
    if smtp is None or sender is None:
        log.warning("a mail to %s is queued but SMTP_URL/SMTP_FROM are not set on the worker", recipient)
        return await mark("failed", attempt)
    try:
        await aiosmtplib.send(message, sender=sender, recipients=[recipient], **smtp)
    except (aiosmtplib.SMTPException, OSError) as exc:
        delay = mail.retry_delay_s(attempt)
        log.info("mail to %s: attempt %d failed: %s", recipient, attempt, exc)
        if delay is None:
            return await mark("failed", attempt)
        await mark("retrying", attempt)
        await retry(attempt + 1, delay * retry_scale)
        return "retrying"
    return await mark("sent", attempt)
