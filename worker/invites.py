"""Loop invitations: email each participant their links, retried on failure, state kept on the loop."""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from service.clock import Clock
from service.domain import loops
from service.domain.errors import LoopNotFound
from service.jobs import JobQueue
from service.store.loops import LoopStore
from worker import mail
from worker.mailing import FINAL, attempt_send


@dataclass(slots=True)
class Inviter:
    """Sends invitations; each attempt's outcome is written to the participant's `invitation` state."""

    loops: LoopStore
    queue: JobQueue
    clock: Clock
    base_url: str
    sender: str | None
    smtp: dict[str, Any] | None
    retry_scale: float = 1.0

    async def invite_all(self, loop_id: str) -> None:
        """First attempt for every participant of a new loop (concurrently)."""
        try:
            loop = await self.loops.get(loop_id)
        except LoopNotFound:
            return
        await asyncio.gather(*(self.send_one(loop_id, i, 1) for i in range(len(loop.participants))))

    async def send_one(self, loop_id: str, index: int, attempt: int) -> str:
        """Attempt `attempt` of one invitation unless it is moot; the participant's invitation state after it."""
        try:
            loop = (await self.loops.get(loop_id)).at(self.clock.now_ms())
        except LoopNotFound:
            return "gone"
        participant = loop.participants[index]
        if participant.invitation in FINAL or participant.invitation_attempts >= attempt:
            return participant.invitation or "none"  # a duplicate job: already done
        mark = partial(self._mark, loop_id, index)
        if loop.status != loops.PENDING or participant.state != loops.PENDING:
            return await mark("skipped", attempt - 1)  # nothing left to ask
        build = partial(mail.invitation, loop, index, self.base_url, self.sender or "")
        retry = partial(self.queue.schedule_invite, loop_id, index)
        return await attempt_send(build, participant.email, sender=self.sender, smtp=self.smtp, attempt=attempt,
                                  mark=mark, retry=retry, retry_scale=self.retry_scale)  # fmt: skip

    async def _mark(self, loop_id: str, index: int, state: str, attempts: int) -> str:
        await self.loops.mark_invitation(loop_id, index, state, attempts)
        return state
