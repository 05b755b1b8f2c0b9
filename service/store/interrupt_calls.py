"""The KEYS and ARGV of the interrupt scripts, in the order each script's header states."""

import msgspec

from service.domain.models import Actor, Decision, NewInterrupt
from service.store import keys


def create_keys(interrupt_id: str, user_id: str) -> list[str]:
    """The keys create.lua touches, in its KEYS order: all in the user's partition, which the id carries."""
    partition = keys.user_partition(user_id)
    return [
        keys.interrupt(interrupt_id),
        keys.user_pending(user_id),
        keys.user_stats(user_id),
        keys.user_actions(user_id),
        keys.deadlines(partition),
        keys.deadline_ttl(interrupt_id),
        keys.metrics(partition),
        keys.user_watched(user_id),
        keys.outbox(partition),
        keys.nudges(partition),
    ]


def create_args(
    new: NewInterrupt, interrupt_id: str, times: tuple[int, int, int, int], actor: Actor, *, guarded: bool
) -> list[str | int]:
    """create.lua's ARGV; `times` = (now, expiresAt, retention, user-key ttl) in ms."""
    now, expires_at, retention_ms, user_ttl_ms = times
    return [
        interrupt_id,
        new.agent_id,
        new.user_id,
        new.action,
        new.context,
        new.urgency,
        now,
        expires_at,
        new.callback_url or "",
        retention_ms,
        user_ttl_ms,
        "1" if guarded else "",
        keys.channel(keys.user_topic(new.user_id)),
        keys.FAST_EXPIRY_HORIZON_MS,
        actor.by or "",
        actor.via,
        msgspec.json.encode(new.reviewers).decode() if new.reviewers else "",
        new.on_timeout or "",
        new.response_schema or "",
        "" if new.remind_every_ms is None else new.remind_every_ms,
        "" if new.escalate_after_ms is None else new.escalate_after_ms,
        msgspec.json.encode(new.escalate_to).decode() if new.escalate_to else "",
        new.slack_channel or "",
    ]


def transition_keys(interrupt_id: str) -> list[str]:
    """The KEYS of decide, cancel and expire, all in the interrupt's partition (the user's derive from them)."""
    partition = keys.partition_of(interrupt_id)
    return [
        keys.interrupt(interrupt_id),
        keys.events(interrupt_id),
        keys.deadlines(partition),
        keys.deadline_ttl(interrupt_id),
        keys.outbox(partition),
        keys.metrics(partition),
        keys.watched(interrupt_id),
    ]


def transition_args(interrupt_id: str, times: tuple[int, int, int], extra: list[str]) -> list[str | int]:
    """decide, cancel and expire's ARGV: the transition's own, then `extra`; `times` = (now, retention, user ttl)."""
    now, retention_ms, user_ttl_ms = times
    prefix = keys.user_prefix(keys.partition_of(interrupt_id))
    return [interrupt_id, prefix, now, retention_ms, user_ttl_ms, keys.channel(interrupt_id), *extra]


def decide_args(decision: Decision) -> list[str]:
    """The decide script's ARGV after the transition's own (7 onwards)."""
    return [
        decision.decision,
        "1" if decision.reason is not None else "0",
        decision.reason or "",
        "1" if decision.modified_params is not None else "0",
        decision.modified_params or "",
        decision.actor.by or "",
        decision.actor.via,
        "1" if decision.response is not None else "0",
        decision.response or "",
        decision.schema_sha or "",
    ]
