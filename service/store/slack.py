"""What Slack needs kept: where an interrupt's message is, and which signed interactions were already handled."""

import hashlib
from typing import cast

from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.scripts import source

REPLAY_WINDOW_MS = 6 * 60_000  # longer than the 5 minutes Slack's signatures are valid for


class SlackStore:
    """The Slack message coordinates (a hash field) and the replay guard (one key per signature, for the window)."""

    def __init__(self, redis: AnyRedis) -> None:
        self._redis = redis
        self._posted = redis.register_script(source("slack_posted"))

    @translated
    async def first_seen(self, signature: str) -> bool:
        """True the first time a request signature is seen within the window; False for a replay."""
        digest = hashlib.sha256(signature.encode()).hexdigest()
        return bool(await self._redis.set(keys.slack_seen(digest), "", nx=True, px=REPLAY_WINDOW_MS))

    @translated
    async def posted(self, interrupt_id: str, channel: str, ts: str) -> bool:
        """Remember that `interrupt_id`'s message is `ts` in `channel`; False when the interrupt is gone."""
        return bool(await self._posted(keys=[keys.interrupt(interrupt_id)], args=[f"{channel} {ts}"]))

    @translated
    async def message_of(self, interrupt_id: str) -> tuple[str, str] | None:
        """(channel id, ts) of `interrupt_id`'s Slack message, once posted."""
        raw = cast(str | None, await self._redis.hget(keys.interrupt(interrupt_id), "slackPosted"))
        if not raw:
            return None
        channel, _, ts = str(raw).partition(" ")
        return channel, ts
