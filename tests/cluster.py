"""A real Redis Cluster for tests: the embedded binary's nodes, and clients that record what they run."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster

from service.embedded_cluster import EmbeddedCluster


def started(data_dir: Path, *, primaries: int = 3, replicas: int = 0) -> Iterator[EmbeddedCluster]:
    """An embedded cluster (short node timeout) for the length of a fixture."""
    cluster = EmbeddedCluster(data_dir, primaries=primaries, replicas=replicas, node_timeout_ms=1000).start()
    try:
        yield cluster
    finally:
        cluster.stop()


class RecordingCluster(RedisCluster):
    """A cluster client that notes the SHA-1 of every script it runs (EVALSHA), in pipelines too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scripts_run: set[str] = set()

    def _note(self, args: tuple[Any, ...]) -> None:
        if str(args[0]).upper() == "EVALSHA":
            self.scripts_run.add(str(args[1]))

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Run one command, noting a script's SHA-1."""
        self._note(args)
        return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        """A pipeline whose queued scripts are noted too."""
        pipe = super().pipeline(transaction, shard_hint)
        queue = pipe.execute_command

        def noted(*args: Any, **kwargs: Any) -> Any:
            self._note(args)
            return queue(*args, **kwargs)

        setattr(pipe, "execute_command", noted)  # noqa: B010 (an instance's method, replaced for this one)
        return pipe


def recording_client(cluster: EmbeddedCluster) -> RecordingCluster:
    """A RESP2, str-decoding client of `cluster`, told one node (it finds the others)."""
    first = ClusterNode("127.0.0.1", cluster.nodes[0].port)
    return RecordingCluster(startup_nodes=[first], password=cluster.password, decode_responses=True, protocol=2)
