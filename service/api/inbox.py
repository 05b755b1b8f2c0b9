"""The reviewer's inbox: `POST /inbox-links` signs an expiring link; `/inbox/{userId}` lists and live-updates.

With auth on, the page and its event stream need the link's token (an HMAC of the user and the
expiry with the secret every API process shares); with auth off they are open, like the API.
"""

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ASGIApp
from msgspec import UNSET, Meta, UnsetType

from service.api import schemas
from service.api.deps import Services, services
from service.api.io import json_body, json_response
from service.api.openapi import documented
from service.api.review import html, message_page
from service.api.schemas import USER_ID_RULE, decode_body
from service.api.streams import RETRY_MS
from service.clock import Clock, iso_ms, utc_text
from service.domain.models import Interrupt
from service.domain.tokens import is_number
from service.events import Frame, list_frames
from service.store import keys
from service.web import pages

Req = Request[Any, Any, Any]
DEFAULT_LINK_S = 7 * 86_400
MAX_LINK_S = 30 * 86_400
MAX_LISTED = 200
URGENCY_RANK = {"high": 0, "medium": 1, "low": 2}
_encoder = msgspec.json.Encoder()


class InboxLinkRequest(msgspec.Struct, kw_only=True):
    """POST /inbox-links: whose inbox, and for how long the link works."""

    userId: Annotated[str, Meta(min_length=1, max_length=256, description="The reviewer whose inbox to open.")]
    expiresIn: (
        Annotated[int, Meta(ge=60, le=MAX_LINK_S, description=f"Seconds the link works (default {DEFAULT_LINK_S}).")]
        | UnsetType
    ) = UNSET


class InboxLink(msgspec.Struct, kw_only=True):
    """A signed link to a reviewer's inbox."""

    inboxUrl: str
    expiresAt: str


RULES = {
    "userId": USER_ID_RULE,
    "expiresIn": f"expiresIn must be a whole number of seconds from 60 to {MAX_LINK_S}",
}


_link_decoder = msgspec.json.Decoder(InboxLinkRequest)


def _scope(user_id: str, expires: int | str) -> str:
    """What an inbox token signs: the user and the link's expiry (ms)."""
    return f"inbox:{expires}:{user_id}"


async def link_access(svc: Services, user_id: str, token: str | None) -> tuple[str | None, int | None]:
    """(why this request may not see the inbox, or None; when its link expires, None when open)."""
    if not svc.settings.auth_enabled:
        return None, None
    if not token:
        return "This inbox needs the signed link it was shared with.", None
    expires, _, mac = token.partition(".")
    if not is_number(expires) or not await svc.signer.is_valid(_scope(user_id, expires), mac):
        return "This inbox link is not valid. Ask for a new one.", None
    if int(expires) <= svc.clock.now_ms():
        return "This inbox link has expired. Ask for a new one.", None
    return None, int(expires)


def item_view(record: Interrupt, href: str) -> dict[str, Any]:
    """What one line of the inbox shows; `href` is the user's own signed review link of the interrupt."""
    return {
        "id": record.id,
        "href": href,
        "action": record.action,
        "agent": record.agent_id,
        "urgency": record.urgency,
        "created_iso": iso_ms(record.created_at),
        "created_text": utc_text(record.created_at),
        "expires_iso": iso_ms(record.expires_at),
        "expires_text": utc_text(record.expires_at),
    }


def ordered(records: list[Interrupt]) -> list[Interrupt]:
    """Most urgent first, then newest first."""
    return sorted(records, key=lambda r: (URGENCY_RANK.get(r.urgency, 3), -r.created_at, r.id))


async def pending_of(svc: Services, user_id: str) -> list[Interrupt]:
    """The user's pending interrupts (the newest MAX_LISTED), in inbox order."""
    page = await svc.interrupts.pending(user_id, limit=MAX_LISTED, cursor=None)
    return ordered(page.items)


async def item_views(
    svc: Services, user_id: str, records: list[Interrupt], ends_at: int | None
) -> list[dict[str, Any]]:
    """The lines of the inbox: each links to a review page on which the inbox's user decides as themself."""
    expires = ends_at or svc.clock.now_ms() + DEFAULT_LINK_S * 1000
    return [item_view(r, f"/review/{r.id}?{await svc.links.query(r.id, user_id, expires, 'inbox')}") for r in records]


async def list_html(svc: Services, user_id: str, records: list[Interrupt], ends_at: int | None) -> str:
    """The list part of the page (also what the live feed sends)."""
    items = await item_views(svc, user_id, records, ends_at)
    return pages.render("inbox_list.html", items=items, limit=MAX_LISTED)


class InboxLinkController(Controller):
    """/inbox-links: signed links to reviewers' inboxes (API key)."""

    path = "/inbox-links"
    tags = ["pages"]

    @post("/", status_code=201, opt=documented(InboxLinkRequest, InboxLink, 201))
    async def create(self, request: Req) -> ASGIApp:
        """A link to the user's inbox page that works until `expiresAt`."""
        svc = services(request)
        wanted: InboxLinkRequest = decode_body(_link_decoder, await json_body(request), RULES)
        schemas.user_id(wanted.userId)
        seconds = DEFAULT_LINK_S if isinstance(wanted.expiresIn, UnsetType) else wanted.expiresIn
        expires_ms = svc.clock.now_ms() + seconds * 1000
        token = f"{expires_ms}.{await svc.signer.token(_scope(wanted.userId, expires_ms))}"
        url = f"{svc.settings.base_url}{inbox_path(wanted.userId)}?{urlencode({'token': token})}"
        return json_response(InboxLink(inboxUrl=url, expiresAt=iso_ms(expires_ms)), 201)


def _user_of(user_path: str) -> str:
    """The user id of an inbox path (a `path` parameter, so ids with `/` work; Litestar keeps its leading `/`)."""
    return user_path.removeprefix("/")


def inbox_path(user_id: str) -> str:
    """The inbox page of `user_id` (`/` kept as is, so proxies that refuse `%2F` pass it)."""
    return f"/inbox/{quote(user_id, safe='/')}"


class InboxController(Controller):
    """/inbox/{userId}: the pending list, most urgent first, live over its own feed /inbox-events/{userId}."""

    path = "/"
    include_in_schema = False

    @get("/inbox/{user_path:path}")
    async def page(self, request: Req, user_path: FromPath[str]) -> ASGIApp:
        """The page (works without JavaScript; with it, updates itself)."""
        svc = services(request)
        user_id = _user_of(user_path)
        token = request.query_params.get("token")
        problem, ends_at = await link_access(svc, user_id, token)
        if problem:
            return message_page("Inbox unavailable", problem, 403)
        records = await pending_of(svc, user_id)
        items = await item_views(svc, user_id, records, ends_at)
        query = f"?{urlencode({'token': token})}" if token else ""
        events = f"/inbox-events/{quote(user_id, safe='/')}{query}"
        body = pages.render("inbox.html", title=f"Inbox of {user_id}", user=user_id, events=events,
                            items=items, limit=MAX_LISTED)  # fmt: skip
        return html(body)

    @get("/inbox-events/{user_path:path}", media_type="text/event-stream")
    async def events(self, request: Req, user_path: FromPath[str]) -> ASGIApp:
        """`inbox` events carrying the list's HTML, now and after every change; pings while idle."""
        svc = services(request)
        user_id = _user_of(user_path)
        problem, ends_at = await link_access(svc, user_id, request.query_params.get("token"))
        if problem:
            return message_page("Inbox unavailable", problem, 403)
        frames = list_frames(
            svc.hub,
            lambda: pending_of(svc, user_id),
            lambda records: {keys.user_topic(user_id), *(r.id for r in records)},
            lambda records: min((r.expires_at for r in records), default=None),
            svc.clock,
            svc.settings.sse_ping_s,
        )
        render = partial(list_html, svc, user_id, ends_at=ends_at)
        messages = feed_messages(frames, render, svc.clock, ends_at)
        stream = ServerSentEvent(messages, headers={"Cache-Control": "no-store"})
        return stream.to_asgi_response(None, request)


async def feed_messages(
    frames: AsyncGenerator[Frame[list[Interrupt]], None],
    render: Callable[[list[Interrupt]], Awaitable[str]],
    clock: Clock,
    ends_at: int | None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The feed's events (the reconnect hint with the first); it ends once its link expires (the reconnect: 403)."""
    retry: int | None = RETRY_MS
    try:
        async for frame in frames:
            if ends_at is not None and clock.now_ms() >= ends_at:
                yield ServerSentEventMessage(comment="the inbox link has expired", data=None, retry=retry)
                return
            if frame.record is None:
                yield ServerSentEventMessage(comment="ping", data=None, retry=retry)
            else:
                data = _encoder.encode({"count": len(frame.record), "html": await render(frame.record)}).decode()
                yield ServerSentEventMessage(id=frame.event_id, event="inbox", data=data, retry=retry)
            retry = None
    finally:
        await frames.aclose()
