"""The LoopIn interrupt routes: create, read, decide, cancel, the pending queue, analytics and their streams."""

from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.types import ASGIApp

from service.api import bodies, responses, schemas, streams, views
from service.api.access import actor, idempotency
from service.api.io import json_body, json_response
from service.api.openapi import documented
from service.asgi.replies import Reply, raw_header
from service.clock import iso_ms
from service.domain import machine
from service.domain.errors import AlreadyDecided, InputError
from service.domain.models import HistoryEvent, Interrupt
from service.services import services
from service.waiting.streams import state_frames, wait_for_change
from service.waiting.watched import WatchedInterrupt

Req = Request[Any, Any, Any]
DEFAULT_PAGE = 100
MAX_PAGE = 1000


class InterruptController(Controller):
    """/interrupts: one action, one decision."""

    path = "/interrupts"
    tags = ["interrupts"]

    @post("/", status_code=201, opt=documented(schemas.CreateInterruptRequest, responses.CreatedResponse, 201))
    async def create(self, request: Req) -> ASGIApp:
        """Ask a human about an action; answers with the review URL."""
        svc = services(request)
        new = schemas.decode_create(await json_body(request))
        svc.check_callback(new.callback_url, "callbackUrl")
        svc.check_slack(new.slack_channel)
        result = await svc.interrupts.create(new, actor=actor(request), idempotency=idempotency(request))
        headers = {"Idempotent-Replayed": "true"} if result.replayed else None
        return json_response(views.created(result, svc.settings.base_url), 201, headers)

    @get("/{interrupt_id:str}", opt=documented(None, responses.InterruptResponse))
    async def read(
        self, request: Req, interrupt_id: FromPath[str], wait: Annotated[float | None, QueryParameter(gt=0)] = None
    ) -> ASGIApp:
        """The interrupt's current status and decision; `?wait=N` holds the answer until it changes (≤ N s).

        `ETag` names the state; a matching `If-None-Match` is answered 304 without a body.
        """
        svc = services(request)
        if wait is None:
            record = await svc.interrupts.get(interrupt_id)
        else:
            seconds = min(wait, svc.settings.wait_cap_s)
            record = await wait_for_change(svc.hub, WatchedInterrupt(svc.interrupts, interrupt_id), svc.clock, seconds)
        now = svc.clock.now_ms()
        tag = views.etag(record, now)
        if views.matches(raw_header(request, b"if-none-match"), tag):
            return Reply(b"", 304, headers={"ETag": tag})
        return json_response(views.interrupt(record, svc.settings.base_url, now), 200, {"ETag": tag})

    @post(
        "/{interrupt_id:str}/decide", status_code=200, opt=documented(schemas.DecideRequest, responses.DecidedResponse)
    )
    async def decide(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Approve or reject; exactly one decision ever wins."""
        svc = services(request)
        body = await json_body(request)
        try:
            decision = schemas.decode_decision(body)
        except InputError:
            await _pending(request, interrupt_id)  # compat order: 404, then 409, then 400
            raise
        decision = msgspec.structs.replace(decision, actor=actor(request))
        return json_response(views.decided(await svc.interrupts.decide(interrupt_id, decision)))

    @get("/{interrupt_id:str}/events", media_type="text/event-stream")
    async def events(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Server-sent events: the current state, then each change; ends after the terminal one."""
        return await interrupt_stream(request, interrupt_id)

    @delete("/{interrupt_id:str}", status_code=200, opt=documented(None, responses.CancelledResponse))
    async def cancel(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Withdraw a pending interrupt (the agent no longer needs the decision)."""
        result = await services(request).interrupts.cancel(interrupt_id, actor(request))
        return json_response(responses.CancelledResponse(interruptId=result.id, status=result.status))

    @get("/{interrupt_id:str}/history", opt=documented(None, responses.HistoryResponse))
    async def history(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """Every event of the interrupt in time order: created, review links, the outcome, webhook attempts."""
        events = await services(request).history.read(interrupt_id)
        return json_response(views.history(interrupt_id, events))

    @post(
        "/{interrupt_id:str}/review-links",
        status_code=201,
        opt=documented(schemas.ReviewLinkRequest, responses.ReviewLinkResponse, 201),
    )
    async def review_link(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """A signed link through which one named reviewer sees the form and decides (until `expiresAt`)."""
        svc = services(request)
        wanted = schemas.decode_review_link(await json_body(request))
        record = await _pending(request, interrupt_id)
        now = svc.clock.now_ms()
        expires = record.expires_at if wanted.expiresIn is msgspec.UNSET else now + int(wanted.expiresIn) * 1000
        url = await svc.links.url(interrupt_id, wanted.reviewer, expires, "review-page")
        who = actor(request)
        detail = {"reviewer": wanted.reviewer, "expiresAt": iso_ms(expires)}
        await svc.history.add(interrupt_id, HistoryEvent(at=now, event="review-link", channel=who.via,
                                                         actor=who.by, detail=detail))  # fmt: skip
        return json_response(responses.ReviewLinkResponse(url=url, reviewer=wanted.reviewer, expiresAt=iso_ms(expires)),
                             201)  # fmt: skip

    @get("/pending/{user_id:str}", opt=documented(None, list[responses.PendingItem]))
    async def pending(
        self,
        request: Req,
        user_id: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        cursor: FromQuery[str | None] = None,
    ) -> ASGIApp:
        """The user's pending interrupts, newest first; `Link: rel=next` when there are more."""
        svc = services(request)
        page = await svc.interrupts.pending(bodies.user_id(user_id), limit=limit, cursor=cursor)
        path = f"/interrupts/pending/{quote(user_id, safe='')}"
        headers = views.next_page(svc.settings.base_url, path, {"limit": limit}, page.next_cursor)
        return json_response([views.pending_item(it, svc.settings.base_url) for it in page.items], 200, headers)


class AnalyticsController(Controller):
    """/analytics: a user's decision statistics from counters kept at each transition."""

    path = "/analytics"
    tags = ["interrupts"]

    @get("/{user_id:str}", opt=documented(None, responses.AnalyticsResponse))
    async def analytics(self, request: Req, user_id: FromPath[str]) -> ASGIApp:
        """Counts, approval rate, response time and top actions of a user's interrupts."""
        stats = await services(request).interrupts.analytics(bodies.user_id(user_id))
        return json_response(views.analytics(user_id, stats))


async def interrupt_stream(request: Req, interrupt_id: str) -> ASGIApp:
    """The SSE response of an interrupt's states (also the review page's live feed); 404 before it starts.

    A reconnect that already has the terminal event gets 204, which tells EventSource to stop.
    """
    svc = services(request)
    record = await svc.interrupts.get(interrupt_id)
    last_id = streams.last_event_id(raw_header(request, b"last-event-id"))
    if streams.ended(last_id, record.final_version(svc.clock.now_ms())):
        return streams.NO_CONTENT
    watched = WatchedInterrupt(svc.interrupts, interrupt_id)
    frames = state_frames(svc.hub, watched, svc.clock, last_id, svc.settings.sse_ping_s)

    def render(record: Interrupt) -> tuple[str, responses.InterruptResponse]:
        view = views.interrupt(record, svc.settings.base_url, svc.clock.now_ms())
        return view.status, view

    return streams.stream(frames, render, svc.hub)


@get("/review/{interrupt_id:str}/events", media_type="text/event-stream", include_in_schema=False)
async def review_events(request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
    """The review page's own live feed (no API key): the interrupt's states, as `/interrupts/{id}/events`."""
    return await interrupt_stream(request, interrupt_id)


async def _pending(request: Req, interrupt_id: str) -> Interrupt:
    """The interrupt while pending; 404 when unknown, 409 (with the outcome) once it is not."""
    svc = services(request)
    record = await svc.interrupts.get(interrupt_id)
    now = svc.clock.now_ms()
    if record.status_at(now) != machine.PENDING:
        raise AlreadyDecided(record.status_at(now), views.current(record, now))
    return record
