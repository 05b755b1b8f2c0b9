"""What a due reminder or escalation sends (queued by nudge.lua in the outbox): the mails and the reminder webhook.

The reminder webhook is one signed attempt with its own webhook-id (`msg_<id>_reminder_<n>`), not a
retried delivery: a late reminder is no use, and the next one is on its way. Its outcome is in the
interrupt's history.
"""

import asyncio
from dataclasses import dataclass

from service.clock import Clock
from service.domain import machine
from service.domain.errors import InterruptNotFound
from service.domain.models import HistoryEvent
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from worker import webhooks
from worker.delivery import Deliverer
from worker.review_mail import ReviewMailer


@dataclass(slots=True)
class Reminders:
    """Sends reminder `n` of an interrupt to its reviewers and its callback; mails the reviewers an escalation adds."""

    interrupts: InterruptStore
    history: HistoryStore
    mailer: ReviewMailer
    deliverer: Deliverer
    clock: Clock

    async def remind(self, interrupt_id: str, number: int) -> None:
        """Reminder `number`: every reviewer's mail and, with a callbackUrl, the `reminder` webhook."""
        await asyncio.gather(self.mailer.mail_all(interrupt_id, reminder=number), self._webhook(interrupt_id, number))

    async def escalate(self, interrupt_id: str, first: int) -> None:
        """The review mails of the reviewers an escalation added (from index `first` on)."""
        await self.mailer.mail_all(interrupt_id, first)

    async def _webhook(self, interrupt_id: str, number: int) -> None:
        try:
            record = await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return
        if record.callback_url is None or record.status_at(self.clock.now_ms()) != machine.PENDING:
            return
        attempt = await self.deliverer.notify(webhooks.reminder_subject(record, number))
        detail = {"event": attempt.event, "attempt": 1, "statusCode": attempt.status_code, "error": attempt.error,
                  "state": attempt.state, "reminder": number}  # fmt: skip
        event = HistoryEvent(at=attempt.at, event="webhook-attempt", channel="worker",
                             detail={k: v for k, v in detail.items() if v is not None})  # fmt: skip
        await self.history.add(interrupt_id, event)
