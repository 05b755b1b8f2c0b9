"""Creates tell open inboxes about themselves on the user's topic, and cost no pub/sub traffic otherwise."""

import msgspec
import pytest
from redis.asyncio import Redis

from service.clock import SystemClock
from service.domain.models import NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from service.store.watching import WatchMarkers
from tests.clients import heard_before_markers

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=60_000)


@pytest.mark.timeout(30)
async def test_creates_publish_only_while_an_inbox_is_open(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=3_600_000)
    new = msgspec.structs.replace(NEW, user_id=user_id)
    channel = keys.channel(keys.user_topic(user_id))
    pubsub = redis.pubsub()
    await pubsub.ssubscribe(channel)
    try:
        await store.create(new)
        assert await heard_before_markers(pubsub, redis, [channel]) == []
        await WatchMarkers(redis).mark([keys.user_topic(user_id)], 10_000)
        await store.create(new)
        assert await heard_before_markers(pubsub, redis, [channel]) == ["created"]
        assert 0 < await redis.pttl(keys.user_watched(user_id)) <= 10_000
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
