"""Interlock's Python client: ask a human before an agent acts, and resume the moment they decide."""

from interlock_client.aio import AsyncInterlock
from interlock_client.decorator import require_approval
from interlock_client.errors import (
    ApiError,
    BadRequest,
    Cancelled,
    Conflict,
    Expired,
    Forbidden,
    InterlockError,
    InvalidWebhook,
    NotApproved,
    NotFound,
    Rejected,
    Unauthorized,
    Unavailable,
    WaitTimeout,
)
from interlock_client.models import Decision, Interrupt, Loop, LoopOutcome, Participant, ParticipantResult, Pending
from interlock_client.sync import Interlock
from interlock_client.webhooks import verify_webhook

__all__ = [
    "ApiError", "AsyncInterlock", "BadRequest", "Cancelled", "Conflict", "Decision", "Expired", "Forbidden",
    "Interlock", "InterlockError", "Interrupt", "InvalidWebhook", "Loop", "LoopOutcome", "NotApproved", "NotFound",
    "Participant", "ParticipantResult", "Pending", "Rejected", "Unauthorized", "Unavailable", "WaitTimeout",
    "require_approval", "verify_webhook",
]  # fmt: skip
