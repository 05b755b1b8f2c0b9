"""Webhook delivery routes: an interrupt's attempt log, redelivery, and failed deliveries across interrupts."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.types import ASGIApp

from service.api import views
from service.api.io import json_response
from service.api.openapi import documented
from service.clock import iso_ms
from service.domain import machine
from service.domain.errors import InvalidField, NothingToDeliver
from service.domain.models import Attempt, Interrupt, webhook_id
from service.services import services

Req = Request[Any, Any, Any]
MAX_PAGE = 1000


class DeliveryView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One webhook attempt (or the queued first one, `state: pending`)."""

    webhookId: str
    event: str
    attempt: int
    at: str
    statusCode: int | None
    error: str | None
    durationMs: int | None
    state: str
    nextAttemptAt: str | None = None


class RedeliveryView(msgspec.Struct, kw_only=True):
    """202 answer to a redelivery: the attempt is queued."""

    interruptId: str
    webhookId: str
    status: str = "queued"


class FailedView(msgspec.Struct, kw_only=True):
    """One failed delivery: the interrupt and its last attempt."""

    interruptId: str
    failedAt: str
    lastAttempt: DeliveryView | None


def delivery_view(attempt: Attempt) -> DeliveryView:
    """The API's view of one logged attempt."""
    return DeliveryView(
        webhookId=attempt.webhook_id,
        event=attempt.event,
        attempt=attempt.attempt,
        at=iso_ms(attempt.at),
        statusCode=attempt.status_code,
        error=attempt.error,
        durationMs=attempt.duration_ms,
        state=attempt.state,
        nextAttemptAt=iso_ms(attempt.next_attempt_at) if attempt.next_attempt_at else None,
    )


def _queued(record: Interrupt) -> DeliveryView:
    """The first attempt of a terminal interrupt's webhook, before any worker made it."""
    ended = record.decided_at or record.expires_at
    return DeliveryView(
        webhookId=webhook_id(record.id, record.version),
        event=f"interrupt.{record.status}",
        attempt=1,
        at=iso_ms(ended),
        statusCode=None,
        error=None,
        durationMs=None,
        state="pending",
    )


class DeliveryController(Controller):
    """/interrupts/{id}/deliveries: what happened to an interrupt's webhook."""

    path = "/interrupts/{interrupt_id:str}/deliveries"
    tags = ["deliveries"]

    @get("/", opt=documented(None, list[DeliveryView]))
    async def attempts(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Every attempt of the interrupt's webhook, oldest first."""
        svc = services(request)
        record = await svc.interrupts.get(interrupt_id)
        found = [delivery_view(a) for a in await svc.deliveries.attempts(interrupt_id)]
        if not found and record.callback_url and record.status != machine.PENDING:
            found = [_queued(record)]
        return json_response(found)

    @post("/redeliver", status_code=202, opt=documented(None, RedeliveryView, 202))
    async def redeliver(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Send the terminal event's webhook once more, with its original webhook-id."""
        svc = services(request)
        record = await svc.interrupts.get(interrupt_id)
        if not record.callback_url:
            raise NothingToDeliver("Interrupt has no callbackUrl")
        if record.status == machine.PENDING:
            raise NothingToDeliver("Interrupt is still pending: there is no event to deliver yet")
        await svc.deliveries.enqueue_redelivery(interrupt_id, record.version)
        view = RedeliveryView(interruptId=interrupt_id, webhookId=webhook_id(interrupt_id, record.version))
        return json_response(view, 202)


class FailedDeliveryController(Controller):
    """/deliveries: dead webhooks across interrupts."""

    path = "/deliveries"
    tags = ["deliveries"]

    @get("/", opt=documented(None, list[FailedView]))
    async def failed(
        self,
        request: Req,
        wanted: Annotated[str, QueryParameter(name="state")],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
        cursor: FromQuery[str | None] = None,
    ) -> ASGIApp:
        """Deliveries that failed for good (`?state=failed`), newest first; `Link: rel=next` when there are more."""
        if wanted != "failed":
            raise InvalidField("state must be failed", field="state")
        svc = services(request)
        page, next_cursor = await svc.deliveries.failed(limit=limit, cursor=cursor)
        last = await svc.deliveries.last_attempts([subject_id for subject_id, _ in page])
        items = [
            FailedView(interruptId=i, failedAt=iso_ms(at), lastAttempt=delivery_view(a) if a else None)
            for (i, at), a in zip(page, last, strict=True)
        ]
        headers = views.next_page(
            svc.settings.base_url, "/deliveries", {"state": "failed", "limit": limit}, next_cursor
        )
        return json_response(items, 200, headers)
