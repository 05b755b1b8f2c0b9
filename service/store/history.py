"""An interrupt's history: its creation, review links, transitions and webhook attempts, merged in time order.

Built at read time from what the interrupt already keeps (its hash, its event list, its delivery
log) plus one list for events that are not transitions, so it costs O(events) and nothing on create.
"""

from typing import Any, cast

import msgspec

from service.domain.errors import InterruptNotFound
from service.domain.models import HistoryEvent, Interrupt
from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.ids import is_valid_id
from service.store.records import from_hash
from service.store.scripts import Scripts

_event_decoder = msgspec.json.Decoder(HistoryEvent)
_encoder = msgspec.json.Encoder()
_DECISIONS = ("approved", "rejected")
HISTORY_COUNT = "h"  # the hash field counting the history list's entries (history_add.lua, nudge.lua)


class HistoryStore:
    """Appends the non-transition events and reads the whole history."""

    def __init__(self, redis: AnyRedis) -> None:
        self._redis = redis
        self._scripts = Scripts.register(redis)

    @translated
    async def add(self, interrupt_id: str, event: HistoryEvent, *, mailing: tuple[str, str, int] | None = None) -> bool:
        """Append `event` (with `mailing` = (mailing slot, state, attempts), record that too); False when gone."""
        field, value = (f"mail:{mailing[0]}", f"{mailing[1]} {mailing[2]}") if mailing else ("", "")
        done = await self._scripts.history_add(
            keys=[keys.interrupt(interrupt_id), keys.history(interrupt_id)], args=[_encoder.encode(event), field, value]
        )
        return bool(done)

    @translated
    async def mailing(self, interrupt_id: str, slot: str) -> tuple[str | None, int]:
        """(state, attempts so far) of one review mail (`slot`: see ReviewMailer.slot): (None, 0) before its first."""
        raw = cast(str | None, await self._redis.hget(keys.interrupt(interrupt_id), f"mail:{slot}"))
        if not raw:
            return None, 0
        state, _, attempts = str(raw).partition(" ")
        return state, int(attempts)

    @translated
    async def read(self, interrupt_id: str) -> list[HistoryEvent]:
        """Every event of the interrupt, oldest first; InterruptNotFound when it is unknown or gone."""
        if not is_valid_id(interrupt_id):
            raise InterruptNotFound()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.interrupt(interrupt_id))
            pipe.lrange(keys.events(interrupt_id), 0, -1)
            pipe.lrange(keys.history(interrupt_id), 0, -1)
            pipe.lrange(keys.attempts(interrupt_id), 0, -1)
            fields, changes, extra, attempts = await pipe.execute()
        if not fields:
            raise InterruptNotFound()
        record = from_hash(interrupt_id, fields)
        return _merged(record, changes, extra, [attempt(msgspec.json.decode(row)) for row in attempts])

    @translated
    async def read_for_page(self, interrupt_id: str) -> tuple[Interrupt, list[HistoryEvent]]:
        """The interrupt and its events but the webhook attempts (what the review page shows).

        One read of the hash, as a page without history costs: its lists are read only when the
        hash says they hold something (a version past 1: a transition; `h`: entries of the history list).
        """
        if not is_valid_id(interrupt_id):
            raise InterruptNotFound()
        fields = cast(dict[str, str], await self._redis.hgetall(keys.interrupt(interrupt_id)))
        if not fields:
            raise InterruptNotFound()
        record = from_hash(interrupt_id, fields)
        if record.version == 1 and HISTORY_COUNT not in fields:
            return record, _merged(record, [], [], [])
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.lrange(keys.events(interrupt_id), 0, -1)
            pipe.lrange(keys.history(interrupt_id), 0, -1)
            changes, extra = await pipe.execute()
        return record, _merged(record, changes, extra, [])


def _merged(
    record: Interrupt, changes: list[str], extra: list[str], attempts: list[HistoryEvent]
) -> list[HistoryEvent]:
    """Creation, the other events, the transitions and the attempts, in time order."""
    made = record.created_by
    events = [HistoryEvent(at=record.created_at, event="created", channel=made.via if made else "api",
                           actor=made.by if made else None,
                           detail={"agentId": record.agent_id, "userId": record.user_id})]  # fmt: skip
    events += [_event_decoder.decode(row) for row in extra]
    events += [transition(msgspec.json.decode(row)) for row in changes]
    events += attempts
    return sorted(events, key=lambda e: e.at)  # stable: creation first, then each source in its own order


def transition(change: dict[str, Any]) -> HistoryEvent:
    """A history entry from one entry of the interrupt's event list (as the transition scripts write it)."""
    status = change["status"]
    if status in _DECISIONS:
        detail = {"decision": status} | ({"reason": change["reason"]} if "reason" in change else {})
        for field in ("modifiedParams", "response"):
            if field in change:
                detail[field] = msgspec.json.decode(change[field])
        return HistoryEvent(at=change["at"], event="decided", channel=change.get("via", "api"),
                            actor=change.get("by") or None, detail=detail)  # fmt: skip
    if status == "cancelled":
        return HistoryEvent(at=change["at"], event="cancelled", channel=change.get("via", "api"),
                            actor=change.get("by") or None)  # fmt: skip
    return HistoryEvent(at=change["at"], event=status, channel="worker")


def attempt(row: dict[str, Any]) -> HistoryEvent:
    """A history entry from one webhook attempt of the delivery log."""
    detail = {k: row[k] for k in ("event", "attempt", "statusCode", "error", "state") if row.get(k) is not None}
    return HistoryEvent(at=row["at"], event="webhook-attempt", channel="worker", detail=detail)
