"""What `interlock serve` runs when REDIS_URL is unset: the embedded Redis, or an embedded cluster.

With `--cluster`: three primaries and, beside them, the standalone Redis that holds arq's jobs.
"""

import logging
from pathlib import Path

from service.embedded import EmbeddedRedis
from service.embedded_cluster import EmbeddedCluster
from service.settings import Settings
from service.supervisor import Supervisor

log = logging.getLogger(__name__)


class LocalStores:
    """The embedded servers under INTERLOCK_DATA_DIR (`cluster/` and `jobs/` for a cluster)."""

    def __init__(self, settings: Settings, *, cluster: bool) -> None:
        data = Path(settings.data_dir)
        self.cluster = EmbeddedCluster(data / "cluster", primaries=3, fsync=settings.fsync) if cluster else None
        self.redis = EmbeddedRedis(data / "jobs" if cluster else data, fsync=settings.fsync)

    def start(self) -> dict[str, str]:
        """Start the servers (EmbeddedRedisError if one cannot); the environment that points the service at them."""
        self.redis.start()
        if self.cluster is None:
            return {"REDIS_URL": self.redis.url}
        self.cluster.start()
        log.info("embedded cluster of %d nodes; arq's jobs on 127.0.0.1:%d", len(self.cluster.nodes), self.redis.port)
        return {"REDIS_URL": self.cluster.url, "INTERLOCK_JOBS_URL": self.redis.url}

    def watch(self, supervisor: Supervisor) -> None:
        """Have `supervisor` restart any server that dies (before the worker that needs them)."""
        servers = [self.redis, *(self.cluster.nodes if self.cluster else [])]
        for n, server in enumerate(servers):
            name = "the embedded Redis" if n == 0 else f"embedded cluster node {n}"
            supervisor.watch(name, lambda s=server: s.running, server.start)  # type: ignore[misc]

    def stop(self) -> None:
        """Stop every server (each flushes its AOF)."""
        log.info("stopping the embedded Redis (AOF flushed on shutdown)")
        if self.cluster is not None:
            self.cluster.stop()
        self.redis.stop()
