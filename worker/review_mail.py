"""Review mails: each reviewer named at create gets their own signed link, retried on failure, in the history."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiosmtplib

from service.clock import Clock
from service.domain import machine
from service.domain.errors import InterruptNotFound
from service.domain.links import ReviewLinks
from service.domain.models import HistoryEvent
from service.jobs import JobQueue
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from worker import mail

log = logging.getLogger(__name__)
FINAL = frozenset({"sent", "failed", "skipped"})


@dataclass(slots=True)
class ReviewMailer:
    """Sends review mails; each attempt's outcome is a `review-mail` event of the interrupt's history."""

    interrupts: InterruptStore
    history: HistoryStore
    links: ReviewLinks
    queue: JobQueue
    clock: Clock
    sender: str | None
    smtp: dict[str, Any] | None
    retry_scale: float = 1.0

    async def mail_all(self, interrupt_id: str) -> None:
        """First attempt for every reviewer of a new interrupt (concurrently)."""
        try:
            record = await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return
        await asyncio.gather(*(self.send_one(interrupt_id, i, 1) for i in range(len(record.reviewers))))

    async def send_one(self, interrupt_id: str, index: int, attempt: int) -> str:
        """Attempt `attempt` of one review mail unless it is moot; the mailing's state after it."""
        try:
            record = await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return "gone"
        state, attempts = await self.history.mailing(interrupt_id, index)
        if state in FINAL or attempts >= attempt:
            return state or "none"  # a duplicate job: already done
        reviewer = record.reviewers[index]
        if record.status_at(self.clock.now_ms()) != machine.PENDING:
            return await self._mark(interrupt_id, index, reviewer, "skipped", attempt - 1)
        if self.smtp is None or self.sender is None:
            log.warning("interrupt %s: review mails queued but SMTP_URL/SMTP_FROM are not set on the worker", record.id)
            return await self._mark(interrupt_id, index, reviewer, "failed", attempt)
        url = await self.links.url(record.id, reviewer, record.expires_at, "email")
        message = mail.review_request(record, reviewer, url, self.sender)
        try:
            await aiosmtplib.send(message, sender=self.sender, recipients=[reviewer], **self.smtp)
        except (aiosmtplib.SMTPException, OSError) as exc:
            delay = mail.retry_delay_s(attempt)
            log.info("interrupt %s: review mail %d attempt %d failed: %s", record.id, index, attempt, exc)
            if delay is None:
                return await self._mark(interrupt_id, index, reviewer, "failed", attempt)
            await self._mark(interrupt_id, index, reviewer, "retrying", attempt)
            await self.queue.schedule_invite(interrupt_id, index, attempt + 1, delay * self.retry_scale, kind="review")
            return "retrying"
        return await self._mark(interrupt_id, index, reviewer, "sent", attempt)

    async def _mark(self, interrupt_id: str, index: int, reviewer: str, state: str, attempts: int) -> str:
        detail = {"reviewer": reviewer, "attempt": attempts, "state": state}
        event = HistoryEvent(at=self.clock.now_ms(), event="review-mail", channel="email", detail=detail)
        await self.history.add(interrupt_id, event, mailing=(index, state, attempts))
        return state
