"""Background jobs: their names and the queue the worker schedules webhook retries on (arq)."""

from typing import Protocol

from arq.connections import ArqRedis

DELIVER_WEBHOOK = "deliver_webhook"
SEND_INVITE = "send_invite"
SEND_SLACK = "send_slack"


def webhook_job_id(interrupt_id: str, version: int, attempt: int) -> str:
    """A deterministic job id: arq refuses a second job with the same id, so scheduling is idempotent."""
    return f"webhook:{interrupt_id}:{version}:{attempt}"


class JobQueue(Protocol):
    """Where delayed work goes."""

    async def schedule_delivery(
        self, subject_id: str, version: int, attempt: int, delay_s: float, *, kind: str = "interrupt"
    ) -> None:
        """Run webhook attempt `attempt` of (interrupt or loop, version) after `delay_s` seconds."""
        ...

    async def schedule_invite(
        self, subject_id: str, index: int, attempt: int, delay_s: float, *, kind: str = "loop", reminder: int = 0
    ) -> None:
        """Run mail attempt `attempt` to recipient `index` of a loop (or, `kind="review"`, an interrupt) later.

        `reminder`: the review mail is reminder number `reminder` (0: the first mail).
        """
        ...

    async def schedule_slack(self, interrupt_id: str, step: str, attempt: int, delay_s: float) -> None:
        """Run attempt `attempt` of an interrupt's Slack `step` (`slack-post`, `slack-update`) later."""
        ...


class ArqJobQueue:
    """JobQueue on arq: jobs persist in Redis and run at least once on some worker."""

    def __init__(self, pool: ArqRedis) -> None:
        self._pool = pool

    async def schedule_delivery(
        self, subject_id: str, version: int, attempt: int, delay_s: float, *, kind: str = "interrupt"
    ) -> None:
        """Enqueue the attempt, deferred; a duplicate (same job id) is ignored by arq."""
        await self._pool.enqueue_job(
            DELIVER_WEBHOOK,
            subject_id,
            version,
            attempt,
            kind,
            _job_id=webhook_job_id(subject_id, version, attempt),
            _defer_by=delay_s,
        )

    async def schedule_invite(
        self, subject_id: str, index: int, attempt: int, delay_s: float, *, kind: str = "loop", reminder: int = 0
    ) -> None:
        """Enqueue the mail attempt, deferred; a duplicate (same job id) is ignored by arq."""
        job_id = f"invite:{subject_id}:{index}:{attempt}" if kind == "loop" else f"mail:{subject_id}:{index}:{attempt}"
        job_id += f":r{reminder}" if reminder else ""
        await self._pool.enqueue_job(SEND_INVITE, subject_id, index, attempt, kind, reminder, _job_id=job_id,
                                     _defer_by=delay_s)  # fmt: skip

    async def schedule_slack(self, interrupt_id: str, step: str, attempt: int, delay_s: float) -> None:
        """Enqueue the Slack attempt, deferred; a duplicate (same job id) is ignored by arq."""
        await self._pool.enqueue_job(SEND_SLACK, interrupt_id, step, attempt, _job_id=f"slack:{interrupt_id}:{step}:"
                                     f"{attempt}", _defer_by=delay_s)  # fmt: skip
