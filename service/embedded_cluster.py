"""An embedded Redis Cluster: N primaries (and replicas) of the embedded binary, joined by its own CLI.

For trying cluster mode on one machine (`interlock serve --cluster`) and for the tests. Each node is
an `EmbeddedRedis` with its data under `data_dir/node-<i>`, all sharing one password (kept in
`data_dir/password`, handed to `valkey-cli` through its environment, never its command line). The
nodes' ports are kept in `data_dir/ports`, so a restart finds the same cluster it left.
"""

import os
import subprocess
import time
from pathlib import Path

from service.embedded import EmbeddedRedis, EmbeddedRedisError, find_server_binary, free_port, kept_password

CLUSTER_SCHEME = "redis+cluster"


class EmbeddedCluster:
    """`primaries` primaries with `replicas` replicas each, on 127.0.0.1, made a cluster on first start."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        primaries: int = 3,
        replicas: int = 0,
        node_timeout_ms: int = 1000,
        fsync: str = "everysec",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.password = kept_password(self.data_dir)
        self.replicas = replicas
        ports = self._ports(2 * primaries * (1 + replicas))
        extra = ("--cluster-enabled", "yes", "--cluster-node-timeout", str(node_timeout_ms),
                 "--cluster-config-file", "nodes.conf")  # fmt: skip
        pairs = zip(ports[0::2], ports[1::2], strict=True)  # client port, cluster bus port (port + 10000 may not exist)
        self.nodes = [
            EmbeddedRedis(self.data_dir / f"node-{i}", port=port, extra=(*extra, "--cluster-port", str(bus)),
                          password=self.password, fsync=fsync)
            for i, (port, bus) in enumerate(pairs)
        ]  # fmt: skip

    def _ports(self, count: int) -> list[int]:
        """The nodes' ports: those of the last start, else new free ones (then kept)."""
        path = self.data_dir / "ports"
        if path.exists():
            kept = [int(p) for p in path.read_text().split()]
            if len(kept) == count:
                return kept
        ports: list[int] = []
        while len(ports) < count:
            if (port := free_port()) not in ports:
                ports.append(port)
        path.write_text(" ".join(map(str, ports)) + "\n")
        return ports

    @property
    def url(self) -> str:
        """The `redis+cluster://` URL naming every node (any one is enough for a client to find the rest)."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)
        return f"{CLUSTER_SCHEME}://:{self.password}@{hosts}"

    def start(self, timeout: float = 30.0) -> "EmbeddedCluster":
        """Start every node; join them into a cluster unless they already are one; wait until it is whole."""
        for node in self.nodes:
            node.start()
        if self._info(self.nodes[0]).get("cluster_known_nodes") != str(len(self.nodes)):
            self._cli("--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                      "--cluster-replicas", str(self.replicas), "--cluster-yes")  # fmt: skip
        self.wait_ok(timeout)
        return self

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Wait until every running node reports `cluster_state:ok` (every slot has a primary)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._info(n).get("cluster_state") == "ok" for n in self.nodes if n.running):
                return
            time.sleep(0.05)  # startup poll, not test synchronisation
        raise EmbeddedRedisError(f"the embedded cluster in {self.data_dir} was not whole within {timeout}s")

    def stop(self) -> None:
        """Stop every node (each flushes its AOF)."""
        for node in self.nodes:
            node.stop()

    def _info(self, node: EmbeddedRedis) -> dict[str, str]:
        """`CLUSTER INFO` of one node as a dict ({} when it does not answer)."""
        try:
            text = self._cli("-p", str(node.port), "cluster", "info")
        except EmbeddedRedisError:
            return {}
        return dict(line.split(":", 1) for line in text.split() if ":" in line)

    def _cli(self, *args: str) -> str:
        """Run the embedded `valkey-cli` against 127.0.0.1 with the cluster's password; its output."""
        cli = Path(find_server_binary()).with_name("valkey-cli")
        env = {**os.environ, "REDISCLI_AUTH": self.password}
        done = subprocess.run([str(cli), "-h", "127.0.0.1", *args], env=env, capture_output=True, text=True,
                              timeout=30, check=False)  # fmt: skip
        if done.returncode != 0 or done.stdout.startswith("ERR"):
            raise EmbeddedRedisError(f"valkey-cli {' '.join(args[:3])} failed: {(done.stderr or done.stdout)[-400:]}")
        return done.stdout
