"""`POST /inbox-links`: a signed, expiring link to a reviewer's inbox page (service/web/inbox.py shows it)."""

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, post
from litestar.types import ASGIApp
from msgspec import UNSET, Meta, UnsetType

from service.api import bodies
from service.api.bodies import USER_ID_RULE, decode_body
from service.api.io import json_body, json_response
from service.api.openapi import documented
from service.clock import iso_ms
from service.services import services
from service.web.inbox import DEFAULT_LINK_S, inbox_path, inbox_scope

Req = Request[Any, Any, Any]
MAX_LINK_S = 30 * 86_400


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


class InboxLinkController(Controller):
    """/inbox-links: signed links to reviewers' inboxes (API key)."""

    path = "/inbox-links"
    tags = ["pages"]

    @post("/", status_code=201, opt=documented(InboxLinkRequest, InboxLink, 201))
    async def create(self, request: Req) -> ASGIApp:
        """A link to the user's inbox page that works until `expiresAt`."""
        svc = services(request)
        wanted: InboxLinkRequest = decode_body(_link_decoder, await json_body(request), RULES)
        bodies.user_id(wanted.userId)
        seconds = DEFAULT_LINK_S if isinstance(wanted.expiresIn, UnsetType) else wanted.expiresIn
        expires_ms = svc.clock.now_ms() + seconds * 1000
        token = f"{expires_ms}.{await svc.signer.token(inbox_scope(wanted.userId, expires_ms))}"
        url = f"{svc.settings.base_url}{inbox_path(wanted.userId)}?{urlencode({'token': token})}"
        return json_response(InboxLink(inboxUrl=url, expiresAt=iso_ms(expires_ms)), 201)
