"""Keyspace notifications of expired deadline keys, heard from every node of a cluster."""

import asyncio

import pytest

from service.store import keys, notifications
from service.store.connection import cluster_address, cluster_client
from service.store.ids import new_id
from tests.processes import until


@pytest.mark.timeout(60)
async def test_expired_deadline_keys_are_heard_from_every_node_of_a_cluster(cluster_url: str) -> None:
    address = cluster_address(cluster_url)
    assert address is not None
    client = cluster_client(address, 8)
    stop = asyncio.Event()
    heard: set[str] = set()
    ids = {new_id(p) for p in range(0, keys.PARTITIONS, 4)}  # partitions on each of the three primaries

    async def listen() -> None:
        async for interrupt_id in notifications.expired_deadlines(client, stop):
            heard.add(interrupt_id)
            if heard >= ids:
                return

    try:
        listening = asyncio.create_task(listen())
        await client.initialize()

        async def every_node_listens() -> bool:  # subscribed before the keys expire (a lossy feed: no replay)
            counts = await client.execute_command("PUBSUB", "NUMPAT", target_nodes=client.get_nodes())
            return all(int(n) >= 1 for n in counts.values())

        await until(every_node_listens)
        for interrupt_id in ids:
            await client.set(keys.deadline_ttl(interrupt_id), "", px=50)
        await asyncio.wait_for(listening, 20)
    finally:
        stop.set()
        await client.aclose()
    assert heard >= ids
