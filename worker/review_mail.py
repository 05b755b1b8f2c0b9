"""Review mails: each reviewer gets their own signed link (at create, on escalation, on each reminder), in the history.

Each mail is retried on failure; its state is kept per reviewer and reminder (`slot`), so a job or
outbox entry handled twice sends it once.
"""

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

    async def mail_all(self, interrupt_id: str, first: int = 0, reminder: int = 0) -> None:
        """First attempt for every reviewer from index `first` on (concurrently): a new interrupt's, an escalation's.

        With `reminder`, every reviewer's mail is that reminder.
        """
        try:
            record = await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return
        indexes = range(first, len(record.reviewers))
        await asyncio.gather(*(self.send_one(interrupt_id, i, 1, reminder) for i in indexes))

    async def send_one(self, interrupt_id: str, index: int, attempt: int, reminder: int = 0) -> str:
        """Attempt `attempt` of one review mail (reminder `reminder`, 0: the first) unless moot; its state after."""
        try:
            record = await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return "gone"
        slot = self.slot(index, reminder)
        state, attempts = await self.history.mailing(interrupt_id, slot)
        if state in FINAL or attempts >= attempt:
            return state or "none"  # a duplicate job: already done
        reviewer = record.reviewers[index]
        mark = partial(self._mark, interrupt_id, slot, reviewer, reminder)
        if record.status_at(self.clock.now_ms()) != machine.PENDING:
            return await mark("skipped", attempt - 1)
        url = await self.links.url(record.id, reviewer, record.expires_at, "email")
        build = partial(mail.review_request, record, reviewer, url, self.sender or "", reminder)
        retry = partial(self.queue.schedule_invite, interrupt_id, index, kind="review", reminder=reminder)
        return await attempt_send(build, reviewer, sender=self.sender, smtp=self.smtp, attempt=attempt, mark=mark,
                                  retry=retry, retry_scale=self.retry_scale)  # fmt: skip

    @staticmethod
    def slot(index: int, reminder: int) -> str:
        """Where one mail's state is kept: the reviewer's index, and the reminder's number after an `r`."""
        return f"{index}:r{reminder}" if reminder else str(index)

    async def _mark(self, interrupt_id: str, slot: str, reviewer: str, reminder: int, state: str, attempts: int) -> str:
        detail: dict[str, Any] = {"reviewer": reviewer, "attempt": attempts, "state": state}
        if reminder:
            detail["reminder"] = reminder
        event = HistoryEvent(at=self.clock.now_ms(), event="review-mail", channel="email", detail=detail)
        await self.history.add(interrupt_id, event, mailing=(slot, state, attempts))
        return state
