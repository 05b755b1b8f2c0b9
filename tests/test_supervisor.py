"""`interlock serve` keeps its own children running: the embedded Redis and the worker come back after a kill -9."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from service.supervisor import BACKOFF_S, STABLE_S, Supervisor
from tests.processes import ROOT, ServeProcess, child_pids, poll_until
from tests.test_metrics import delta, scrape


class FakeChild:
    """A child that is alive until told otherwise, counting its restarts."""

    def __init__(self) -> None:
        self.up = True
        self.restarts = 0
        self.fail_to_start = False

    def alive(self) -> bool:
        return self.up

    def restart(self) -> None:
        self.restarts += 1
        if self.fail_to_start:
            raise RuntimeError("port taken")
        self.up = True


def test_a_dead_child_is_restarted_and_one_that_keeps_dying_waits_longer_each_time() -> None:
    now = [0.0]
    supervisor = Supervisor(clock=lambda: now[0])
    child = FakeChild()
    supervisor.watch("child", child.alive, child.restart)
    supervisor.check()
    assert child.restarts == 0
    child.up = False
    supervisor.check()
    assert child.restarts == 1 and child.up
    child.up = False  # dies again at once: the next start waits BACKOFF_S[0]
    supervisor.check()
    assert child.restarts == 1
    now[0] = BACKOFF_S[0]
    supervisor.check()
    assert child.restarts == 2
    child.up, now[0] = False, now[0] + BACKOFF_S[0]
    supervisor.check()
    assert child.restarts == 2  # the pause has grown to BACKOFF_S[1]
    now[0] += BACKOFF_S[1] - BACKOFF_S[0]
    supervisor.check()
    assert child.restarts == 3
    now[0] += STABLE_S  # a long healthy run forgives the earlier failures
    supervisor.check()
    child.up = False
    supervisor.check()
    assert child.restarts == 4


def test_a_restart_that_fails_is_logged_and_tried_again_later(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    supervisor = Supervisor(clock=lambda: now[0])
    child = FakeChild()
    supervisor.watch("redis", child.alive, child.restart)
    child.up, child.fail_to_start = False, True
    supervisor.check()
    assert child.restarts == 1 and "redis could not be started again" in caplog.text
    child.fail_to_start = False
    now[0] = BACKOFF_S[0]
    supervisor.check()
    assert child.restarts == 2 and child.up


def _child(pid: int, match: Callable[[list[str]], bool]) -> int | None:
    """The child of `pid` whose command line matches, if one is running."""
    for child in child_pids(pid):  # the supervisor's restarts are children of its own thread
        with contextlib.suppress(FileNotFoundError):
            argv = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
            if match(argv):
                return child
    return None


def _is_redis(argv: list[str]) -> bool:
    return "valkey-server" in argv[0] or "redis-server" in argv[0]


def _is_worker(argv: list[str]) -> bool:
    return argv[-2:] == ["worker", ""] or argv[-1:] == ["worker"]


@pytest.mark.timeout(150)
def test_serve_restarts_its_killed_redis_and_worker(tmp_path: Path) -> None:
    serve = ServeProcess({"INTERLOCK_DATA_DIR": str(tmp_path / "data")}, args=(), log=tmp_path / "serve.log")
    serve.wait_ready()
    try:
        ask = {"agentId": "a", "userId": f"sup-{uuid.uuid4()}", "action": "x", "context": {}}
        made = httpx.post(f"{serve.url}/interrupts", json=ask, timeout=10).json()
        redis_pid = _child(serve.proc.pid, _is_redis)
        worker_pid = _child(serve.proc.pid, _is_worker)
        assert redis_pid and worker_pid, child_pids(serve.proc.pid)

        os.kill(redis_pid, signal.SIGKILL)

        def readable_again() -> bool:
            read = httpx.get(f"{serve.url}/interrupts/{made['interruptId']}", timeout=10)
            assert read.status_code in (200, 503), read.text  # Redis down reads as 503, never 500
            return read.status_code == 200

        poll_until(readable_again, "the API to read from a restarted Redis")
        assert _child(serve.proc.pid, _is_redis) not in (None, redis_pid)

        os.kill(worker_pid, signal.SIGKILL)
        poll_until(lambda: _child(serve.proc.pid, _is_worker) not in (None, worker_pid), "a new worker")
        before = scrape(serve.url)
        httpx.post(f"{serve.url}/interrupts", json=ask | {"expiresIn": 0.2}, timeout=10)
        poll_until(  # only a running worker records expiries in the counters
            lambda: delta(scrape(serve.url), before, "interlock_interrupts_ended_total", status="expired") >= 1,
            "the new worker to record an expiry",
        )
        assert serve.proc.poll() is None
    finally:
        assert serve.stop() == 0


@pytest.mark.timeout(90)
def test_a_serve_killed_9_takes_its_http_workers_with_it(tmp_path: Path) -> None:
    serve = ServeProcess({"INTERLOCK_DATA_DIR": str(tmp_path / "data")}, args=(), log=tmp_path / "serve.log")
    serve.wait_ready()
    children = child_pids(serve.proc.pid)
    assert children, "serve runs its HTTP worker, Redis and worker as children"
    serve.proc.kill()
    serve.stop()

    def all_gone() -> bool:
        return not any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in children)

    poll_until(all_gone, "every child of the killed serve to exit", timeout=30)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", serve.port))  # nobody is left answering on its port


def _alive(pid: int) -> bool:
    """True unless the process has exited (a zombie waiting for init counts as gone)."""
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    return False


@pytest.mark.timeout(60)
def test_serve_on_a_taken_port_exits_saying_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "API_KEY"))}
        done = subprocess.run(
            [sys.executable, "-m", "service", "serve", "--port", str(port)],
            cwd=ROOT, env=env | {"INTERLOCK_DATA_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=50,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}: address already in use" in done.stderr
