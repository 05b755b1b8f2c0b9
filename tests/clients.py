"""Redis clients for tests: pools that wait at their cap (as the service's do) instead of raising."""

from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub, RedisCluster

from service.store.connection import cluster_address, cluster_client


def blocking_client(url: str, *, decode: bool = True) -> Redis:
    """A client of `url` whose pool (redis-py's default cap, 100) makes the 101st concurrent command wait.

    For a `redis+cluster://` URL, a cluster client (str replies): typed as `Redis` for the tests,
    which use only the single-key commands both answer alike.
    """
    cluster = cluster_address(url)
    if cluster is not None:
        return cast(Redis, cluster_client(cluster, 16))
    return Redis.from_pool(BlockingConnectionPool.from_url(url, decode_responses=decode, timeout=30))


async def kill_pubsub_clients(redis: Redis | RedisCluster) -> int:
    """Cut every pub/sub connection of the server (of every node of a cluster); how many were cut."""
    if isinstance(redis, RedisCluster):  # the nodes by name: redis-py 8 misroutes CLIENT KILL given ALL_NODES
        await redis.initialize()
        cut = await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub", target_nodes=redis.get_nodes())
        return sum(int(n) for n in cut.values())
    return int(await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub"))  # type: ignore[no-untyped-call]


async def heard_before_markers(pubsub: PubSub, redis: Redis | RedisCluster, channels: list[str]) -> list[str]:
    """What a sharded subscription to `channels` heard so far: SPUBLISH a marker on each, read up to them all.

    The server keeps the order of one channel's messages (and of one node's), so every message sent
    before a marker is read before it.
    """
    for channel in channels:
        await redis.spublish(channel, "marker")
    heard: list[str] = []
    marked: set[str] = set()
    while marked != set(channels):  # bounded by the test's timeout; None: nothing within 5 s yet
        if isinstance(pubsub, ClusterPubSub):
            message = await pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=5)
        else:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        if message is None:
            continue
        if message["data"] == "marker":
            marked.add(message["channel"])
        else:
            heard.append(message["data"])
    return heard
