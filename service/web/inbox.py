"""The reviewer's inbox: `/inbox/{userId}` lists the pending interrupts and `/inbox-events/{userId}` updates it.

With auth on, the page and its event stream need the link's token (an HMAC of the user and the
expiry with the secret every API process shares, minted by `POST /inbox-links`,
service/api/inbox_links.py); with auth off they are open, like the API.
"""

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.types import ASGIApp

from service.asgi.sse import RETRY_MS, EventStream, frame
from service.clock import Clock
from service.domain.models import Interrupt
from service.domain.tokens import is_number
from service.services import Services, services
from service.waiting.streams import Frame
from service.waiting.watched import MAX_LISTED, PendingList
from service.web import inbox_feed, pages
from service.web.pages import html, message_page

Req = Request[Any, Any, Any]
DEFAULT_LINK_S = 7 * 86_400  # an inbox link works a week unless asked otherwise
_encoder = msgspec.json.Encoder()


def inbox_scope(user_id: str, expires: int | str) -> str:
    """What an inbox token signs: the user and the link's expiry (ms)."""
    return f"inbox:{expires}:{user_id}"


async def link_access(svc: Services, user_id: str, token: str | None) -> tuple[str | None, int | None]:
    """(why this request may not see the inbox, or None; when its link expires, None when open)."""
    if not svc.settings.auth_enabled:
        return None, None
    if not token:
        return "This inbox needs the signed link it was shared with.", None
    expires, _, mac = token.partition(".")
    if not is_number(expires) or not await svc.signer.is_valid(inbox_scope(user_id, expires), mac):
        return "This inbox link is not valid. Ask for a new one.", None
    if int(expires) <= svc.clock.now_ms():
        return "This inbox link has expired. Ask for a new one.", None
    return None, int(expires)


@dataclass(frozen=True, slots=True)
class InboxView:
    """How one user's inbox, as one link opened it, renders: the whole list, a line, the count."""

    svc: Services
    user_id: str
    ends_at: int | None  # the inbox link's expiry; None when the inbox is open
    links_until: int  # the expiry of the review links it hands out: the inbox link's, or ~7 days when open

    @classmethod
    def of(cls, svc: Services, user_id: str, ends_at: int | None) -> "InboxView":
        """The view of `user_id`'s inbox opened by a link that works until `ends_at`."""
        week_on = (svc.clock.now_ms() + DEFAULT_LINK_S * 1000) // 60_000 * 60_000  # to the minute: shared lines
        return cls(svc, user_id, ends_at, ends_at or week_on)

    async def line(self, record: Interrupt) -> str:
        """One line: it links to a review page (and its answer form posts to it) as the inbox's user themself."""
        key = (record.id, self.user_id, self.links_until)
        if (kept := self.svc.inbox_cache.lines.get(key)) is not None:
            return kept
        link = await self.svc.links.fields(record.id, self.user_id, self.links_until, "inbox")
        hidden = ""
        if record.response_schema is not None:
            hidden = inbox_feed.hidden_inputs({"csrf": await self.svc.signer.token(f"review:{record.id}")} | link)
        made = inbox_feed.line(record, f"/review/{record.id}?{urlencode(link)}", hidden)
        return self.svc.inbox_cache.lines.keep(key, made)

    async def whole(self, records: list[Interrupt]) -> str:
        """The list part of the page (also the feed's first event when the page did not send one)."""
        lines = "".join([await self.line(r) for r in records])
        return pages.render("inbox_list.html", head=self.head(len(records)), lines=lines)

    def head(self, count: int) -> str:
        """The sentence above the list (how many are waiting, or that nothing is)."""
        return inbox_feed.head(count, MAX_LISTED)


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
        records = await PendingList(svc.interrupts, svc.clock, user_id).read()
        query = {"token": token} if token else {}
        since = inbox_feed.digest([r.id for r in records])
        events = f"/inbox-events/{quote(user_id, safe='/')}?{urlencode(query | {'since': since})}"
        listed = await InboxView.of(svc, user_id, ends_at).whole(records)
        body = pages.render("inbox.html", title=f"Inbox of {user_id}", user=user_id, events=events, listed=listed)
        return html(body)

    @get("/inbox-events/{user_path:path}", media_type="text/event-stream")
    async def events(self, request: Req, user_path: FromPath[str]) -> ASGIApp:
        """`inbox` events: the list (or, when `since` says the page has it, only its count), then its changes."""
        svc = services(request)
        user_id = _user_of(user_path)
        problem, ends_at = await link_access(svc, user_id, request.query_params.get("token"))
        if problem:
            return message_page("Inbox unavailable", problem, 403)
        view = InboxView.of(svc, user_id, ends_at)
        since = request.query_params.get("since")
        messages = feed_messages(svc.inboxes.frames(user_id), view, svc.clock, since, svc.inbox_cache.events)
        return EventStream(messages)


class Renders(Protocol):
    """What the feed needs of a view: the link's expiry and the list, a line, the count as HTML."""

    @property
    def user_id(self) -> str:
        """Whose inbox it is."""

    @property
    def ends_at(self) -> int | None:
        """When the link expires (ms); None when the inbox is open."""

    @property
    def links_until(self) -> int:
        """The expiry of the review links its lines carry."""

    async def whole(self, records: list[Interrupt]) -> str:
        """The whole list."""

    async def line(self, record: Interrupt) -> str:
        """One line."""

    def head(self, count: int) -> str:
        """The sentence above the list."""


async def feed_data(view: Renders, records: list[Interrupt], shown: Sequence[str] | None) -> dict[str, Any]:
    """One `inbox` event's data: the whole list when the client has none, else what changed since `shown`."""
    if shown is None:
        return {"count": len(records), "html": await view.whole(records)}
    removed, added = inbox_feed.changes(shown, [r.id for r in records])
    by_id = {r.id: r for r in records}
    lines = [{"id": i, "before": before, "html": await view.line(by_id[i])} for i, before in added]
    return {"count": len(records), "head": view.head(len(records)), "remove": removed, "add": lines}


async def feed_messages(
    frames: AsyncGenerator[Frame[list[Interrupt]], None],
    view: Renders,
    clock: Clock,
    since: str | None,
    cache: inbox_feed.Kept[inbox_feed.EventKey, bytes],
) -> AsyncIterator[bytes]:
    """The feed's events (the reconnect hint with the first); it ends once its link expires (the reconnect: 403).

    `since` is the digest of the list the page was rendered with: when the first read still matches
    it, the first event sends no list. An event is made once for all the feeds in the same state.
    """
    retry: int | None = RETRY_MS
    shown: tuple[str, ...] | None = None
    try:
        async for state in frames:
            if view.ends_at is not None and clock.now_ms() >= view.ends_at:
                yield frame(comment="the inbox link has expired", retry=retry)
                return
            if state.record is None:
                yield frame(comment="ping", retry=retry)
            else:
                ids = tuple(r.id for r in state.record)
                if shown is None and since is not None and since == inbox_feed.digest(ids):
                    shown = ids
                key = (view.user_id, view.links_until, shown, ids, state.event_id, retry)  # the same state: the same
                if (encoded := cache.get(key)) is None:  # event, made and encoded once for every such feed
                    data = _encoder.encode(await feed_data(view, state.record, shown)).decode()
                    encoded = cache.keep(key, frame(event_id=state.event_id, event="inbox", data=data, retry=retry))
                shown = ids
                yield encoded
            retry = None
    finally:
        await frames.aclose()
