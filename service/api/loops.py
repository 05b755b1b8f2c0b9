"""The intheloop.run loop routes: create, resolve (link or POST), status (with ?wait=N), result, and `/`."""

from typing import Annotated, Any
from urllib.parse import parse_qs

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.types import ASGIApp

from service import VERSION
from service.api import loop_schemas as ls
from service.api import streams
from service.api.access import idempotency
from service.api.deliveries import delivery_view
from service.api.io import is_json_content_type, json_body, json_response
from service.api.openapi import documented
from service.asgi.replies import raw_header, read_body
from service.domain import jsontext, loops
from service.domain.errors import InvalidField, LoopPending
from service.domain.loops import Loop
from service.services import services
from service.waiting.streams import state_frames, wait_for_change
from service.waiting.watched import WatchedLoop
from service.web.confirm import confirm_page
from service.web.pages import message_page

Req = Request[Any, Any, Any]


def _result(loop: Loop) -> ls.LoopResult:
    results = [ls.ParticipantResult(email=p.email, promise_id=p.promise_id, accept=p.accept, state=p.state)
               for p in loop.participants]  # fmt: skip
    return ls.LoopResult(status=loop.status, message=loop.message or "", results=results)


def status_view(loop: Loop) -> ls.LoopStatus:
    """Data of the status route for a loop as seen now."""
    done = loop.status != loops.PENDING
    waiting = sum(1 for p in loop.participants if p.state == loops.PENDING)
    return ls.LoopStatus(
        loop_id=loop.id,
        state="RESOLVED" if done else "PENDING",
        resolved=done,
        status=loop.status,
        message=(loop.message or "") if done else f"waiting on {waiting} of {len(loop.participants)} participant(s)",
        result=_result(loop) if done else None,
        invitations=[
            ls.Invitation(email=p.email, state=p.invitation, attempts=p.invitation_attempts)
            for p in loop.participants
            if p.invitation is not None
        ]
        or None,
    )


def _ok(message: str, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> ASGIApp:
    return json_response(ls.Envelope(success=True, message=message, data=data), status, headers)


def _wants_page(request: Req) -> bool:
    """A browser posting the confirm page's form (HTML, not JSON, in Accept): it is answered with a page."""
    accept = (raw_header(request, b"accept") or "").lower()
    return "text/html" in accept and "application/json" not in accept


def _asks_for_json(request: Req) -> bool:
    """Only a client that explicitly asks for JSON (and not for HTML) resolves with a GET.

    Everything else (no Accept, `*/*`, HTML, XHTML) is a person's browser, a mail scanner or a link
    preview, and gets the confirmation page, so opening a link never decides anything.
    """
    accept = (raw_header(request, b"accept") or "").lower()
    return "application/json" in accept and "text/html" not in accept and "xhtml" not in accept


async def _accept_of(request: Req) -> bool:
    """`accept` from a JSON body, a form field or the query string."""
    body = await read_body(request)
    content_type = raw_header(request, b"content-type")
    if body.strip() and is_json_content_type(content_type):
        jsontext.check(body)  # this route reads its body itself (a form or JSON), so it checks it itself
        data = ls.json_object(body)
        if "accept" in data:
            return ls.decode_accept(data["accept"])
    elif body.strip() and (content_type or "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode(errors="replace"))
        if "accept" in form:
            return ls.decode_accept(form["accept"][0])
    query = request.query_params.get("accept")
    if query is None:
        raise InvalidField("accept must be true or false", field="accept")
    return ls.decode_accept(query)


class LoopController(Controller):
    """/v1/loop: many participants, one outcome."""

    path = "/v1/loop"
    tags = ["loops"]

    @post("/create", status_code=201, opt=documented(ls.CreateLoopRequest, ls.Envelope, 201))
    async def create(self, request: Req) -> ASGIApp:
        """Start a loop: each participant gets a promise with accept and reject links."""
        svc = services(request)
        new = ls.decode_loop(await json_body(request))
        svc.check_callback(new.callback_url, "callback_url")
        invite = bool(svc.settings.smtp_url and svc.settings.smtp_from)
        made = await svc.loops.create(new, idempotency=idempotency(request, family="loop:"), invite=invite)
        participants = []
        for email, promise_id in zip(new.participants, made.promise_ids, strict=True):
            accept_link, reject_link = loops.links(svc.settings.base_url, promise_id)
            participants.append(ls.ParticipantLinks(email=email, promise_id=promise_id, accept_link=accept_link,
                                                    reject_link=reject_link))  # fmt: skip
        data = ls.LoopData(
            loop_id=made.id,
            loop_name=new.name,
            loop_description=new.description,
            participant_timeout=new.timeout_ms,
            participants=participants,
            policy=ls.policy_view(new.policy),
        )
        headers = {"Idempotent-Replayed": "true"} if made.replayed else None
        return _ok("Loop created", {"loop_data": data}, 201, headers)

    @get("/participant/resolve/{promise_id:str}", opt=documented(None, ls.Envelope))
    async def resolve_link(self, request: Req, promise_id: FromPath[str]) -> ASGIApp:
        """The link a participant clicks: a JSON client (Accept: application/json) resolves; anyone else confirms."""
        svc = services(request)
        if not _asks_for_json(request):
            loop_id, index = await svc.loops.locate(promise_id)
            loop = (await svc.loops.get(loop_id)).at(svc.clock.now_ms())
            return confirm_page(loop, index, request.query_params.get("accept"))
        return await self._resolve(request, promise_id)

    @post("/participant/resolve/{promise_id:str}", status_code=200, opt=documented(None, ls.Envelope))
    async def resolve(self, request: Req, promise_id: FromPath[str]) -> ASGIApp:
        """Accept or reject one promise (`accept` in a JSON body, a form field or the query)."""
        return await self._resolve(request, promise_id)

    async def _resolve(self, request: Req, promise_id: str) -> ASGIApp:
        svc = services(request)
        try:
            accept = await _accept_of(request)
        except InvalidField:
            await svc.loops.locate(promise_id)  # an unknown promise is 404 before a bad `accept` is 400
            raise
        done = await svc.loops.resolve(promise_id, accept)
        if _wants_page(request):  # the confirm page's form: answer with a page, not JSON
            loop = (await svc.loops.get(done.loop_id)).at(svc.clock.now_ms())
            text = f"Your answer: {'accept' if accept else 'reject'}. The loop is now {loop.status}."
            return message_page(loop.name, text, 200)
        return _ok("Promise resolved", ls.ResolveData(promise_id=done.promise_id, state=loops.RESOLVED))

    @get("/status/{loop_id:str}", opt=documented(None, ls.Envelope))
    async def status(
        self, request: Req, loop_id: FromPath[str], wait: Annotated[float | None, QueryParameter(gt=0)] = None
    ) -> ASGIApp:
        """Where the loop stands; `?wait=N` holds the answer until it resolves (≤ N s)."""
        svc = services(request)
        if wait is None:
            loop = await svc.loops.get(loop_id)
        else:
            watched = WatchedLoop(svc.loops, loop_id)
            loop = await wait_for_change(svc.hub, watched, svc.clock, min(wait, svc.settings.wait_cap_s))
        return _ok("Loop status", status_view(loop.at(svc.clock.now_ms())))

    @get("/events/{loop_id:str}", media_type="text/event-stream")
    async def events(self, request: Req, loop_id: FromPath[str]) -> ASGIApp:
        """Server-sent events: the loop's status now, then after each change; ends once it is decided.

        A reconnect that already has the final event gets 204, which tells EventSource to stop.
        """
        svc = services(request)
        loop = await svc.loops.get(loop_id)  # 404 before the stream starts
        last_id = streams.last_event_id(raw_header(request, b"last-event-id"))
        if streams.ended(last_id, loop.version if loop.status != loops.PENDING else None):
            return streams.NO_CONTENT
        frames = state_frames(svc.hub, WatchedLoop(svc.loops, loop_id), svc.clock, last_id, svc.settings.sse_ping_s)

        def render(loop: Loop) -> tuple[str, ls.LoopStatus]:
            view = status_view(loop.at(svc.clock.now_ms()))
            return view.status, view

        return streams.stream(frames, render, svc.hub)

    @get("/deliveries/{loop_id:str}", opt=documented(None, ls.Envelope))
    async def deliveries(self, request: Req, loop_id: FromPath[str]) -> ASGIApp:
        """Every attempt of the loop's webhook, oldest first (API key; empty until the worker's first attempt)."""
        svc = services(request)
        await svc.loops.get(loop_id)  # 404 for an unknown loop
        attempts = [delivery_view(a) for a in await svc.deliveries.attempts(loop_id)]
        return _ok("Loop webhook deliveries", attempts)

    @get("/result/{loop_id:str}", opt=documented(None, ls.Envelope))
    async def result(self, request: Req, loop_id: FromPath[str]) -> ASGIApp:
        """The decided loop's outcome with every participant, in input order; 409 while pending."""
        svc = services(request)
        loop = (await svc.loops.get(loop_id)).at(svc.clock.now_ms())
        if loop.status == loops.PENDING:
            raise LoopPending()
        return _ok("Loop result", ls.LoopResultData(loop_id=loop.id, state="RESOLVED", result=_result(loop)))


@get("/", opt=documented(None, ls.Envelope))
async def root(request: Req) -> ASGIApp:
    """Service metadata and the endpoint map."""
    svc = services(request)
    endpoints = {
        "create_loop": "POST /v1/loop/create",
        "resolve_promise": "GET|POST /v1/loop/participant/resolve/{promiseId}",
        "loop_status": "GET /v1/loop/status/{loopId}",
        "loop_result": "GET /v1/loop/result/{loopId}",
        "interrupts": "POST /interrupts",
        "docs": "GET /docs",
        "openapi": "GET /openapi.json",
        "health": "GET /health",
    }
    data = {
        "name": "Interlock",
        "version": VERSION,
        "environment": "self-hosted",  # says nothing about whether auth is on: that is no stranger's business
        "base_url": svc.settings.base_url,
        "endpoints": endpoints,
    }
    return _ok("Interlock: human-in-the-loop loops and interrupts", data)
