"""POST /slack/interactions: Slack's button clicks, signed by Slack, decide as the Slack user who clicked.

Slack signs each request (`X-Slack-Signature` over `v0:<timestamp>:<body>` with the app's signing
secret); `slack_sdk`'s verifier checks it and the 5-minute window, and each signature is taken once
(a replay is refused). A refused request is a 401 and changes nothing. An accepted click is always
answered 200, also when the interrupt had already ended: Slack shows an error for anything else,
and the message is updated with the outcome through the outbox in every case.
"""

import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs

from litestar import Request, post
from litestar.types import ASGIApp
from slack_sdk.signature import SignatureVerifier

from service.asgi.refusals import RouteNotFound, Unauthorized
from service.asgi.replies import Reply, raw_header, read_body
from service.clock import Clock
from service.domain import slack
from service.domain.errors import InputError, InterruptConflict, InterruptNotFound
from service.domain.models import Actor, Decision
from service.services import services

log = logging.getLogger(__name__)
Req = Request[Any, Any, Any]


class SlackClock:
    """Our clock as slack_sdk's verifier reads time (seconds), so tests can move it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        """Seconds since the epoch."""
        return self._clock.now_ms() / 1000


def verifier(secret: str | None, clock: Clock) -> SignatureVerifier:
    """slack_sdk's request verifier for the app's signing secret, on our clock."""
    return SignatureVerifier(secret or "", clock=SlackClock(clock))  # type: ignore[arg-type]


@post("/slack/interactions", status_code=200, include_in_schema=False)
async def slack_interactions(request: Req) -> ASGIApp:
    """A signed interaction from Slack: an Approve or Reject click decides; anything else is acknowledged."""
    svc = services(request)
    if svc.slack_verifier is None:
        raise RouteNotFound("Slack is not configured on this server")
    body = await read_body(request)
    signature = raw_header(request, b"x-slack-signature")
    if not svc.slack_verifier.is_valid(body, raw_header(request, b"x-slack-request-timestamp"), signature):
        raise Unauthorized("the Slack request signature is missing, wrong or older than 5 minutes")
    if not await svc.slack.first_seen(signature or ""):
        raise Unauthorized("this signed Slack request was already handled (a replay)")
    click = slack.clicked(parse_qs(body.decode(errors="replace")).get("payload", [""])[0])
    if click is not None:
        interrupt_id, decision, who = click
        actor = Actor(by=who, via="slack")
        # Slack wants a 200 whatever happened; an interrupt that ended first keeps its outcome
        with contextlib.suppress(InterruptConflict, InterruptNotFound, InputError):
            chosen = Decision(decision=decision, actor=actor)
            await svc.interrupts.decide(interrupt_id, chosen)
            log.info("slack: %s %s by %s", interrupt_id, decision, who)
    return Reply(b"", 200)
