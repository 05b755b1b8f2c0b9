"""Creates tell open inboxes about themselves on the user's topic, and cost no pub/sub traffic otherwise."""

import msgspec
import pytest
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from service.clock import SystemClock
from service.domain.models import NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from service.store.watching import WatchMarkers

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=60_000)


async def heard_before_marker(pubsub: PubSub, redis: Redis, channel: str) -> list[str]:
    """Messages on `channel` so far: publish a marker, read up to it (Redis keeps the order)."""
    await redis.publish(channel, "marker")
    heard: list[str] = []
    while True:  # bounded by the test's timeout; None is a skipped subscribe confirmation
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        if message is None:
            continue
        if message["data"] == "marker":
            return heard
        heard.append(message["data"])


@pytest.mark.timeout(30)
async def test_creates_publish_only_while_an_inbox_is_open(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=3_600_000)
    new = msgspec.structs.replace(NEW, user_id=user_id)
    channel = keys.channel(keys.user_topic(user_id))
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        await store.create(new)
        assert await heard_before_marker(pubsub, redis, channel) == []
        await WatchMarkers(redis).mark([keys.user_topic(user_id)], 10_000)
        await store.create(new)
        assert await heard_before_marker(pubsub, redis, channel) == ["created"]
        assert 0 < await redis.pttl(keys.user_watched(user_id)) <= 10_000
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
