"""Wire Structs of what the interrupt routes answer (the JSON the API sends; bodies it reads are schemas.py)."""

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from service.api.bodies import JsonObject


class ReviewLinkResponse(msgspec.Struct, kw_only=True):
    """A signed review link for one reviewer."""

    url: str
    reviewer: str
    expiresAt: str


class HistoryItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One event of an interrupt's history."""

    at: str
    event: str
    channel: str
    actor: str | None = None
    detail: dict[str, Any] | None = None


class HistoryResponse(msgspec.Struct, kw_only=True):
    """GET /interrupts/{id}/history: every event in time order."""

    interruptId: str
    events: list[HistoryItem]


class CreatedResponse(msgspec.Struct, kw_only=True):
    """201 answer to a create: exactly these keys (compat)."""

    interruptId: str
    status: str
    expiresAt: str
    reviewUrl: str


class InterruptResponse(msgspec.Struct, kw_only=True):
    """GET /interrupts/{id}: decision fields appear only once set (absent, not null)."""

    interruptId: str
    status: str
    action: str
    context: JsonObject
    urgency: str
    createdAt: str
    expiresAt: str
    reviewUrl: str
    decision: str | UnsetType = UNSET
    decidedAt: str | UnsetType = UNSET
    reason: str | UnsetType = UNSET
    modifiedParams: JsonObject | UnsetType = UNSET
    decidedBy: str | UnsetType = UNSET
    responseSchema: JsonObject | UnsetType = UNSET  # ext: only on an interrupt created with one
    response: JsonObject | UnsetType = UNSET  # ext: the typed answer, once decided with one


class PendingItem(msgspec.Struct, kw_only=True):
    """One element of GET /interrupts/pending/{userId}; never carries callbackUrl."""

    id: str
    interruptId: str
    agentId: str
    userId: str
    action: str
    context: JsonObject
    urgency: str
    status: str
    createdAt: str
    expiresAt: str
    reviewUrl: str
    responseSchema: JsonObject | UnsetType = UNSET  # ext: only on an interrupt created with one


class DecidedResponse(msgspec.Struct, kw_only=True):
    """200 answer to a decide: exactly these keys (compat)."""

    interruptId: str
    status: str
    decision: str
    decidedAt: str


class CancelledResponse(msgspec.Struct, kw_only=True):
    """200 answer to a cancel."""

    interruptId: str
    status: str


class ActionCount(msgspec.Struct, kw_only=True):
    """One entry of topActionTypes."""

    action: str
    count: int


class AnalyticsResponse(msgspec.Struct, kw_only=True):
    """GET /analytics/{userId}."""

    userId: str
    totalInterrupts: int
    approvalRate: float | int | None
    avgResponseTimeMs: int | None
    byStatus: dict[str, int]
    byUrgency: dict[str, int]
    topActionTypes: list[ActionCount]


class HealthResponse(msgspec.Struct, kw_only=True):
    """GET /health (compat)."""

    status: str
    service: str
