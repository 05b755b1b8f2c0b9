"""The production topology as processes on loopback: one Redis (AOF), API processes and workers, each restartable."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from service.embedded import EmbeddedRedis, free_port
from tests.processes import ROOT, wait_healthy
from tests.receivers import SECRET


class Supervised:
    """One child process with a fixed command line: start, kill -9, restart (same port, same log)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path, url: str | None = None) -> None:
        self.name, self.args, self.env, self.log, self.url = name, args, env, log, url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (without waiting for it to be ready)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL to the whole process group (the server and its HTTP workers), as a container dies."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 30) -> None:
        """For an API process: until /health answers."""
        assert self.url is not None and self.proc is not None
        wait_healthy(self.url, self.proc, timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the group if it hangs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Cluster:
    """Redis, `apis` times `interlock serve --no-worker`, `workers` times `interlock worker`."""

    def __init__(self, tmp: Path, apis: int = 2, workers: int = 2) -> None:
        # `always`: with `everysec` Redis may hold acknowledged writes in memory while a slow background fsync
        # runs, so a kill -9 of Redis can lose them (docs/operations.md); the nemesis checks the durable mode.
        self.redis = EmbeddedRedis(tmp / "redis", port=free_port(), fsync="always")
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "API_KEY", "WEBHOOK_"))
        }
        env = base | {
            "REDIS_URL": self.redis.url,
            "WEBHOOK_SECRET": SECRET,
            "INTERLOCK_WEBHOOK_ALLOW_CIDRS": "127.0.0.0/8",
            "INTERLOCK_RETRY_SCALE": "0.01",
            "INTERLOCK_WORKERS": "1",
        }
        python = [sys.executable, "-m", "service"]
        self.apis = []
        for i in range(apis):
            port = free_port()
            self.apis.append(Supervised(f"api{i}", [*python, "serve", "--no-worker", "--port", str(port)], env,
                                        tmp / f"api{i}.log", url=f"http://127.0.0.1:{port}"))  # fmt: skip
        self.workers = [
            Supervised(f"worker{i}", [*python, "worker"], env, tmp / f"worker{i}.log") for i in range(workers)
        ]

    def start(self) -> "Cluster":
        """Everything up and the APIs answering."""
        self.redis.start()
        for proc in [*self.apis, *self.workers]:
            proc.start()
        for api in self.apis:
            api.wait_ready()
        return self

    def stop(self) -> None:
        """Everything down, gracefully."""
        for proc in [*self.apis, *self.workers]:
            proc.stop()
        self.redis.stop()
