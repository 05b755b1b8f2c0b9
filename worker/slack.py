"""Slack messages of interrupts: posted when one is created with a slackChannel, updated with its outcome.

Both go through the outbox (queued by the create and by the terminal transition, in their scripts),
are made with the official `slack_sdk` Web API client, and are retried on the mail schedule while
Slack is unreachable or asks to slow down, so Slack being down loses nothing. A refusal no retry
changes (an unknown channel, a bad token) is `failed` at once. Each step's state is kept like a
mail's (`mail:slack-post`, `mail:slack-update`), so a job or an entry handled twice acts once.
"""

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from service.clock import Clock
from service.domain import machine, slack
from service.domain.errors import InterruptNotFound
from service.domain.models import HistoryEvent, Interrupt
from service.jobs import JobQueue
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from service.store.slack import SlackStore
from worker import mail
from worker.mailing import FINAL

log = logging.getLogger(__name__)
POST, UPDATE = "slack-post", "slack-update"  # the two steps, and where each one's state is kept
# Slack's errors that no retry changes (https://api.slack.com/methods/chat.postMessage#errors)
PERMANENT = frozenset({"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
                       "account_inactive", "token_revoked", "missing_scope", "invalid_blocks", "msg_too_long",
                       "message_not_found", "cant_update_message", "no_permission", "restricted_action"})  # fmt: skip


@dataclass(slots=True)
class SlackMessenger:
    """Posts and updates interrupts' Slack messages; each attempt is a `slack` event of the interrupt's history."""

    interrupts: InterruptStore
    history: HistoryStore
    messages: SlackStore
    queue: JobQueue
    clock: Clock
    client: AsyncWebClient | None  # None: Slack is not configured on this worker
    base_url: str
    retry_scale: float = 1.0

    async def post(self, interrupt_id: str, attempt: int = 1) -> str:
        """Attempt `attempt` of posting the interrupt's message; then, if it ended meanwhile, show the outcome."""
        record = await self._due(interrupt_id, POST, attempt)
        if record is None or record.slack_channel is None:
            return "done"
        text, blocks = slack.message(record, self._review_url(record), self.clock.now_ms())
        try:
            reply = await self._call("chat_postMessage", channel=record.slack_channel, text=text, blocks=blocks)
        except SlackUnavailable as exc:
            return await self._failed(record, POST, attempt, exc)
        await self.messages.posted(record.id, str(reply["channel"]), str(reply["ts"]))
        await self._mark(record.id, POST, "sent", attempt, channel=record.slack_channel)
        if record.status_at(self.clock.now_ms()) == machine.PENDING:  # it may have ended while this was posted,
            with contextlib.suppress(InterruptNotFound):  # when its update found no message to update
                if (await self.interrupts.get(record.id)).status_at(self.clock.now_ms()) != machine.PENDING:
                    await self.update(record.id)
        return "sent"

    async def update(self, interrupt_id: str, attempt: int = 1) -> str:
        """Attempt `attempt` of updating the posted message with the outcome (nothing while pending or unposted)."""
        where = await self.messages.message_of(interrupt_id)
        if where is None:
            return "not posted"  # the post shows whatever the state is when it lands, and then updates
        record = await self._due(interrupt_id, UPDATE, attempt)
        if record is None or record.status_at(self.clock.now_ms()) == machine.PENDING:
            return "pending"
        text, blocks = slack.message(record, self._review_url(record), self.clock.now_ms())
        try:
            await self._call("chat_update", channel=where[0], ts=where[1], text=text, blocks=blocks)
        except SlackUnavailable as exc:
            return await self._failed(record, UPDATE, attempt, exc)
        return await self._mark(record.id, UPDATE, "sent", attempt)

    async def _due(self, interrupt_id: str, step: str, attempt: int) -> Interrupt | None:
        """The interrupt, when attempt `attempt` of `step` is still to be made (None: gone, or already done)."""
        state, attempts = await self.history.mailing(interrupt_id, step)
        if state in FINAL or attempts >= attempt:
            return None
        try:
            return await self.interrupts.get(interrupt_id)
        except InterruptNotFound:
            return None

    async def _call(self, method: str, **arguments: Any) -> Any:
        if self.client is None:
            raise SlackUnavailable("Slack is not configured on this worker (SLACK_BOT_TOKEN)", permanent=True)
        try:
            return await getattr(self.client, method)(**arguments)
        except SlackApiError as exc:
            raise _unavailable(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise SlackUnavailable(f"{type(exc).__name__}: {exc}") from None

    async def _failed(self, record: Interrupt, step: str, attempt: int, exc: "SlackUnavailable") -> str:
        delay = None if exc.permanent else mail.retry_delay_s(attempt)
        log.info("slack: %s of %s, attempt %d: %s", step, record.id, attempt, exc)
        if delay is None:
            return await self._mark(record.id, step, "failed", attempt, error=str(exc))
        await self._mark(record.id, step, "retrying", attempt, error=str(exc))
        wait = max(delay * self.retry_scale, exc.retry_after or 0.0)
        await self.queue.schedule_slack(record.id, step, attempt + 1, wait)
        return "retrying"

    async def _mark(self, interrupt_id: str, step: str, state: str, attempt: int, **detail: str) -> str:
        said = {"action": "posted" if step == POST else "updated", "state": state, "attempt": attempt} | detail
        event = HistoryEvent(at=self.clock.now_ms(), event="slack", channel="slack", detail=said)
        await self.history.add(interrupt_id, event, mailing=(step, state, attempt))
        return state

    def _review_url(self, record: Interrupt) -> str:
        return f"{self.base_url}/review/{record.id}"


class SlackUnavailable(Exception):
    """A Slack call that did not go through: `permanent` when no retry changes it, `retry_after` when Slack asks."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


def _unavailable(exc: SlackApiError) -> SlackUnavailable:
    """What a Slack API refusal means: its error code, whether it is permanent, when Slack asks to come back."""
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    status = response.status_code if response is not None else 0
    wait = str(response.headers.get("Retry-After", "")) if response is not None else ""
    return SlackUnavailable(error or f"HTTP {status}", permanent=error in PERMANENT,
                            retry_after=float(wait) if wait.isdigit() else None)  # fmt: skip
