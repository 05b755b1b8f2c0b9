"""Renders domain records as the wire Structs of the interrupt API."""

import math
from typing import Any
from urllib.parse import urlencode

import msgspec
from msgspec import UNSET, Raw, UnsetType

from service.api import responses
from service.clock import iso_ms
from service.domain.models import Analytics, HistoryEvent, Interrupt
from service.store.interrupts import Created, Transitioned


def review_url(base_url: str, interrupt_id: str) -> str:
    """The public review page of an interrupt (compat: B + /review/ + id)."""
    return f"{base_url}/review/{interrupt_id}"


def created(result: Created, base_url: str) -> responses.CreatedResponse:
    """The 201 body of a create."""
    return responses.CreatedResponse(
        interruptId=result.id,
        status="pending",
        expiresAt=iso_ms(result.expires_at),
        reviewUrl=review_url(base_url, result.id),
    )


def interrupt(record: Interrupt, base_url: str, now_ms: int) -> responses.InterruptResponse:
    """GET /interrupts/{id}: the record as a reader sees it at `now_ms`."""
    record = record.at(now_ms)
    return responses.InterruptResponse(
        interruptId=record.id,
        status=record.status_at(now_ms),
        action=record.action,
        context=Raw(record.context),
        urgency=record.urgency,
        createdAt=iso_ms(record.created_at),
        expiresAt=iso_ms(record.expires_at),
        reviewUrl=review_url(base_url, record.id),
        decision=record.decision if record.decision is not None else UNSET,
        decidedAt=iso_ms(record.decided_at) if record.decided_at is not None else UNSET,
        reason=record.reason if record.reason is not None else UNSET,
        modifiedParams=Raw(record.modified_params) if record.modified_params is not None else UNSET,
        decidedBy=record.decided_by or UNSET,
        responseSchema=_raw(record.response_schema),
        response=_raw(record.response),
    )


def _raw(text: str | None) -> Raw | UnsetType:
    """Stored JSON text as it is, or absent."""
    return UNSET if text is None else Raw(text)


def etag(record: Interrupt, now_ms: int) -> str:
    """The entity tag of an interrupt's representation: its version and the status it reads as now."""
    return f'"{record.version}-{record.status_at(now_ms)}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """True when an `If-None-Match` header names `tag` (weak or strong) or is `*`."""
    if not if_none_match:
        return False
    wanted = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return tag in wanted or "*" in wanted


def current(record: Interrupt, now_ms: int) -> dict[str, Any]:
    """The state a conflicting caller is shown: status and, once made, the decision."""
    view: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(interrupt(record, "", now_ms)))
    keep = ("interruptId", "status", "decision", "decidedAt", "reason", "modifiedParams", "decidedBy", "response")
    return {k: view[k] for k in keep if k in view}


def pending_item(record: Interrupt, base_url: str) -> responses.PendingItem:
    """One element of a user's pending list."""
    return responses.PendingItem(
        id=record.id,
        interruptId=record.id,
        agentId=record.agent_id,
        userId=record.user_id,
        action=record.action,
        context=Raw(record.context),
        urgency=record.urgency,
        status=record.status,
        createdAt=iso_ms(record.created_at),
        expiresAt=iso_ms(record.expires_at),
        reviewUrl=review_url(base_url, record.id),
        responseSchema=_raw(record.response_schema),
    )


def next_page(base_url: str, path: str, query: dict[str, Any], cursor: str | None) -> dict[str, str] | None:
    """`Link: rel=next` and `X-Next-Cursor` for a paginated list, built from the public base URL (never `Host`)."""
    if not cursor:
        return None
    url = f"{base_url}{path}?{urlencode(query | {'cursor': cursor})}"
    return {"Link": f'<{url}>; rel="next"', "X-Next-Cursor": cursor}


def decided(result: Transitioned) -> responses.DecidedResponse:
    """The 200 body of a decide (compat: status is the literal `resolved`)."""
    assert result.decided_at is not None
    return responses.DecidedResponse(
        interruptId=result.id, status="resolved", decision=result.status, decidedAt=iso_ms(result.decided_at)
    )


def history(interrupt_id: str, events: list[HistoryEvent]) -> responses.HistoryResponse:
    """GET /interrupts/{id}/history."""
    items = [responses.HistoryItem(at=iso_ms(e.at), event=e.event, channel=e.channel, actor=e.actor, detail=e.detail)
             for e in events]  # fmt: skip
    return responses.HistoryResponse(interruptId=interrupt_id, events=items)


def analytics(user_id: str, stats: Analytics) -> responses.AnalyticsResponse:
    """GET /analytics/{userId} from the user's counters (rounding half up, like JavaScript)."""
    approved = stats.by_status.get("approved", 0)
    return responses.AnalyticsResponse(
        userId=user_id,
        totalInterrupts=stats.total,
        approvalRate=_js_number(approved / stats.decided_count) if stats.decided_count else None,
        avgResponseTimeMs=math.floor(stats.decided_ms_sum / stats.decided_count + 0.5) if stats.decided_count else None,
        byStatus=stats.by_status,
        byUrgency=stats.by_urgency,
        topActionTypes=[responses.ActionCount(action=a, count=c) for a, c in stats.top_actions],
    )


def _js_number(value: float) -> float | int:
    """Whole numbers as integers, so `1` encodes as `1` (as JavaScript prints it), not `1.0`."""
    return int(value) if value.is_integer() else value
