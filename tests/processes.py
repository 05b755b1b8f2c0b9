"""Test helpers that run real `interlock serve` processes on loopback."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import httpx

from service.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_healthy(url: str, proc: "subprocess.Popen[bytes]", timeout: float = 30.0) -> None:
    """Block until `url`/health answers 200 (a startup poll with a deadline); fail if `proc` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server at {url} exited early with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"the server at {url} was not ready in {timeout}s")


class ServeProcess:
    """One `python -m service serve` child process on a free port."""

    def __init__(
        self, env: Mapping[str, str], *, args: tuple[str, ...] = ("--no-worker",), log: Path, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "API_KEY"))}
        full_env.update({"INTERLOCK_WORKERS": "1"} | dict(env))
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(self.port), *args],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> "ServeProcess":
        """Block until /health answers (startup poll with a deadline)."""
        wait_healthy(self.url, self.proc, timeout)
        return self

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; kill if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def child_pids(pid: int) -> set[int]:
    """The live children of process `pid`, whichever of its threads started them (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


async def until(check: Callable[[], Awaitable[object]], *, within: float = 10, every: float = 0.005) -> None:
    """`poll_until` for an async check (a read of Redis or of a server): every few ms, TimeoutError after `within`."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(every)  # between two reads of the state, not instead of one


def poll_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Call `condition` until it is true (a poll of another process, with a deadline); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
