"""Review mails: each reviewer named at create gets their own signed link, retried on failure, in the history."""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from service.clock import Clock
from service.domain import machine
from service.domain.errors import InterruptNotFound
from service.domain.links import ReviewLinks
from service.domain.models import HistoryEvent
from service.jobs import JobQueue
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from worker import mail
from worker.mailing import FINAL, attempt_send


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
        mark = partial(self._mark, interrupt_id, index, reviewer)
        if record.status_at(self.clock.now_ms()) != machine.PENDING:
            return await mark("skipped", attempt - 1)
        url = await self.links.url(record.id, reviewer, record.expires_at, "email")
        build = partial(mail.review_request, record, reviewer, url, self.sender or "")
        retry = partial(self.queue.schedule_invite, interrupt_id, index, kind="review")
        return await attempt_send(build, reviewer, sender=self.sender, smtp=self.smtp, attempt=attempt, mark=mark,
                                  retry=retry, retry_scale=self.retry_scale)  # fmt: skip

    async def _mark(self, interrupt_id: str, index: int, reviewer: str, state: str, attempts: int) -> str:
        detail = {"reviewer": reviewer, "attempt": attempts, "state": state}
        event = HistoryEvent(at=self.clock.now_ms(), event="review-mail", channel="email", detail=detail)
        await self.history.add(interrupt_id, event, mailing=(index, state, attempts))
        return state
