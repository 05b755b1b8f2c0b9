"""Mails: loop invitations and review requests (plain text and HTML), the SMTP settings and retry schedule; no I/O."""

import html
import unicodedata
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from service.clock import iso_ms
from service.domain.loops import Loop, links
from service.domain.models import Interrupt

# delay before invitation attempt n+1 after attempt n failed (then the invitation is marked failed)
SCHEDULE_S = (30, 120, 600, 3600, 10800)


def invitation(loop: Loop, index: int, base_url: str, sender: str) -> EmailMessage:
    """The email asking participant `index` of `loop` to accept or reject."""
    participant = loop.participants[index]
    accept, reject = links(base_url, participant.promise_id)
    message = EmailMessage()
    message["Subject"] = header_text(f"Your decision is needed: {loop.name}")
    message["From"] = sender
    message["To"] = participant.email
    deadline = iso_ms(loop.deadline)
    message.set_content(
        f"{loop.name}\n\n{loop.description}\n\nAccept: {accept}\nReject: {reject}\n\n"
        f"Please decide before {deadline} (UTC). Opening a link shows a confirmation page first.\n"
    )
    e = html.escape
    message.add_alternative(
        f"<!doctype html><html><body><h1>{e(loop.name)}</h1><p>{e(loop.description)}</p>"
        f'<p><a href="{e(accept)}">Accept</a> &nbsp; <a href="{e(reject)}">Reject</a></p>'
        f"<p>Please decide before {e(deadline)} (UTC).</p></body></html>",
        subtype="html",
    )
    return message


def review_request(record: Interrupt, reviewer: str, url: str, sender: str, reminder: int = 0) -> EmailMessage:
    """The email giving `reviewer` their own signed link to decide `record` (or reminding them: reminder `reminder`)."""
    message = EmailMessage()
    message["Subject"] = header_text(f"{'Reminder: a' if reminder else 'A'}pproval requested: {record.action}")
    message["From"] = sender
    message["To"] = reviewer
    deadline = iso_ms(record.expires_at)
    message.set_content(
        f"{record.agent_id} asks for approval (for {record.user_id}):\n\n{record.action}\n\n"
        f"Review and decide: {url}\n\nThis link is yours: a decision made through it is recorded as made by "
        f"{reviewer}. Please decide before {deadline} (UTC).\n"
    )
    e = html.escape
    message.add_alternative(
        f"<!doctype html><html><body><p>{e(record.agent_id)} asks for approval (for {e(record.user_id)}):</p>"
        f'<h1>{e(record.action)}</h1><p><a href="{e(url)}">Review and decide</a></p>'
        f"<p>This link is yours: a decision made through it is recorded as made by {e(reviewer)}. "
        f"Please decide before {e(deadline)} (UTC).</p></body></html>",
        subtype="html",
    )
    return message


def header_text(text: str, limit: int = 200) -> str:
    """`text` fit for a header: whitespace and control characters (CR/LF included) as single spaces, shortened.

    The standard library refuses a header value with a line break (and encodes non-ASCII text itself),
    so a name with CR/LF can neither inject a header nor make every attempt fail.
    """
    flat = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def smtp_options(url: str) -> dict[str, Any]:
    """Aiosmtplib keyword arguments from `smtp://[user:pass@]host[:port]` (`smtps://` for implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"SMTP_URL must look like smtp://host:port or smtps://host:port, got {url!r}")
    tls = parts.scheme == "smtps"
    options: dict[str, Any] = {
        "hostname": parts.hostname,
        "port": parts.port or (465 if tls else 25),
        "use_tls": tls,
        "start_tls": None,  # STARTTLS when the server offers it
        "timeout": 30,
    }
    if parts.username:
        options |= {"username": unquote(parts.username), "password": unquote(parts.password or "")}
    return options


def retry_delay_s(attempt: int) -> float | None:
    """Seconds before retrying after failed attempt `attempt` (1-based); None when it was the last."""
    return SCHEDULE_S[attempt - 1] if attempt <= len(SCHEDULE_S) else None
