"""Reminders and escalations: the index of when each pending interrupt's next one is due, and the step that sends it.

The worker's deadline sweep runs it like an expiry (the `Deadlines` shape: `due`, `expire`,
`next_deadline`); what a step sends goes to the outbox, so the mails and the reminder webhook are
sent by the outbox consumer, once per entry.
"""

from dataclasses import dataclass

from service.clock import Clock
from service.store import keys, partitions
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.ids import is_valid_id
from service.store.scripts import Scripts


@dataclass(frozen=True, slots=True)
class Nudged:
    """What one step sent: a reminder's number (0: none) and where the added reviewers start (-1: no escalation)."""

    reminder: int
    first_added: int


class NudgeStore:
    """The nudge index (`keys.nudges`) and its one script (nudge.lua)."""

    def __init__(self, redis: AnyRedis, clock: Clock) -> None:
        self._redis = redis
        self._clock = clock
        self._scripts = Scripts.register(redis)

    @translated
    async def due(self, now_ms: int, *, limit: int) -> list[str]:
        """Ids whose next reminder or escalation is due at `now_ms`, soonest first."""
        return await partitions.due(self._redis, keys.nudges, now_ms, limit)

    @translated
    async def expire(self, interrupt_id: str) -> Nudged | None:
        """Send what is due of `interrupt_id` now (the sweep's step, named as the Deadlines protocol names it).

        None when nothing was: not due any more (another worker took it), or no longer pending.
        """
        partition = keys.partition_of(interrupt_id)
        if not is_valid_id(interrupt_id):
            await self._redis.zrem(keys.nudges(partition), interrupt_id)
            return None
        reply = await self._scripts.nudge(
            keys=[
                keys.interrupt(interrupt_id),
                keys.nudges(partition),
                keys.outbox(partition),
                keys.history(interrupt_id),
            ],
            args=[interrupt_id, self._clock.now_ms()],
        )
        return Nudged(reminder=int(reply[1]), first_added=int(reply[2])) if reply[0] == "sent" else None

    @translated
    async def next_deadline(self) -> int | None:
        """When the soonest reminder or escalation is due (ms), or None when none is."""
        return await partitions.earliest(self._redis, keys.nudges)
