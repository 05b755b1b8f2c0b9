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


def is_permanent(error: Exception) -> bool:
    """True for a refusal no retry changes: every recipient refused with a 5xx, or no SMTPUTF8 for a UTF-8 address."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refused.code >= 500 for refused in error.recipients)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return error.code >= 500
    return isinstance(error, aiosmtplib.SMTPNotSupported)


async def attempt_send(
    build: Callable[[], EmailMessage],
    recipient: str,
    *,
    sender: str | None,
    smtp: dict[str, Any] | None,
    attempt: int,
    mark: Mark,
    retry: Retry,
    retry_scale: float = 1.0,
) -> str:
    """Send attempt `attempt` of the mail `build` makes; record `sent`, `retrying` (and schedule the next) or `failed`.

    Only what may pass is retried (a connection, a 4xx, a timeout), on the schedule of `mail`; a
    permanent refusal, or a mail that cannot be made or encoded, is `failed` at once.
    """
    if smtp is None or sender is None:
        log.warning("a mail to %s is queued but SMTP_URL/SMTP_FROM are not set on the worker", recipient)
        return await mark("failed", attempt)
    try:
        await aiosmtplib.send(build(), sender=sender, recipients=[recipient], **smtp)
    except (aiosmtplib.SMTPException, OSError) as exc:
        delay = None if is_permanent(exc) else mail.retry_delay_s(attempt)
        log.info("mail to %s: attempt %d failed: %s", recipient, attempt, exc)
        if delay is None:
            return await mark("failed", attempt)
        await mark("retrying", attempt)
        await retry(attempt + 1, delay * retry_scale)
        return "retrying"
    except (ValueError, TypeError, LookupError) as exc:  # the mail cannot be made or encoded: no retry helps
        log.error("mail to %s cannot be sent: %s: %s", recipient, type(exc).__name__, exc)
        return await mark("failed", attempt)
    return await mark("sent", attempt)
