"""The compose topology, up once for the container tests: engine, stand-in base images, the image, `compose up`.

Runs only with `-m containers` (its own step in .ci/run). Without an engine these tests skip, or
fail when CI=true.
"""

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from service.embedded import free_port
from tests.containers import engine, standins
from tests.processes import ROOT, poll_until

HERE = Path(__file__).resolve().parent
PROJECT = "interlock-ci"
ADMIN_KEY = "ci-admin-key-0123456789abcdef"
AGENT_KEY = "ci-agent-key-0123456789abcdef"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
COMPOSE_FILES = ("-f", str(ROOT / "deploy" / "docker-compose.yml"), "-f", str(HERE / "receiver.compose.yml"))


@dataclass
class Topology:
    """The running topology: the proxy's URL, the receiver's, and how to drive compose and the engine."""

    docker: engine.Engine
    url: str
    receiver_url: str
    env: dict[str, str]
    config: pytest.Config
    timings: dict[str, float] = field(default_factory=dict)

    def report(self, line: str) -> None:
        """Show `line` in the run's output (CI's log keeps it; print() would be captured)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line(line)

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker compose -p interlock-ci -f deploy/docker-compose.yml -f receiver.compose.yml ARGS`."""
        return self.docker.run(["compose", "-p", PROJECT, *COMPOSE_FILES, *args], timeout=timeout, env_extra=self.env)

    def compose_env(self) -> dict[str, str]:
        """The environment under which a plain `docker compose` (or deploy/rollout.sh) drives this topology."""
        files = ":".join(COMPOSE_FILES[1::2])
        return self.docker.env | self.env | {"COMPOSE_PROJECT_NAME": PROJECT, "COMPOSE_FILE": files}

    def containers(self, service: str) -> list[str]:
        """The names of the running replicas of `service`, by replica number (a rollout gives new numbers)."""
        fmt = '{{.Names}} {{.Label "com.docker.compose.container-number"}}'
        listed = self.docker.run(["ps", "--filter", f"label=com.docker.compose.project={PROJECT}",
                                  "--filter", f"label=com.docker.compose.service={service}", "--format", fmt],
                                 timeout=30).stdout.split("\n")  # fmt: skip
        return [name for name, _ in sorted((line.split() for line in listed if line), key=lambda row: int(row[1]))]

    def container(self, service: str, index: int = 1) -> str:
        """The container name of the `index`-th running replica of `service` (1-based)."""
        return self.containers(service)[index - 1]

    def exec_python(self, service: str, code: str, index: int = 1, timeout: float = 60) -> str:
        """Run `code` with the image's Python inside a container of `service`; its stdout."""
        done = self.docker.run(["exec", self.container(service, index), "python", "-c", code], timeout=timeout)
        return done.stdout

    def wait_ready(self, timeout: float = 120) -> None:
        """Until `/readyz` through the proxy answers 200 (a poll with a deadline)."""

        def ready() -> bool:
            try:
                return httpx.get(f"{self.url}/readyz", timeout=3).status_code == 200
            except httpx.TransportError:
                return False

        poll_until(ready, f"the proxy at {self.url} to be ready", timeout)


def _engine(work: Path) -> engine.Engine:
    try:
        return engine.engine(work)
    except (RuntimeError, OSError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Docker engine for the container tests: {exc}")
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture(scope="session")
def topology(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Topology]:
    """deploy/docker-compose.yml up with the image built from the Dockerfile, as the README says; down at the end."""
    work = tmp_path_factory.mktemp("containers")
    docker = _engine(work)
    timings: dict[str, float] = {}
    started = time.monotonic()
    standins.ensure(docker)
    timings["base images"] = time.monotonic() - started
    started = time.monotonic()
    standins.build(docker, ROOT, "interlock:latest")  # the README's `docker build -t interlock:latest .`
    timings["image build"] = time.monotonic() - started
    port, receiver_port = free_port(), free_port()
    env = {"API_KEY_SECRET": ADMIN_KEY, "INTERLOCK_AGENT_KEYS": f"ci-agent={AGENT_KEY}",
           "WEBHOOK_SECRET": WEBHOOK_SECRET, "INTERLOCK_PORT": str(port), "LOOPIN_BASE_URL": f"http://127.0.0.1:{port}",
           "RECEIVER_PORT": str(receiver_port), "RECEIVER_SCRIPT": str(HERE / "receiver.py")}  # fmt: skip
    topology = Topology(docker, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{receiver_port}", env, pytestconfig,
                        timings)  # fmt: skip
    topology.compose("down", "--volumes", "--remove-orphans", timeout=120)  # what a run before may have left
    started = time.monotonic()
    topology.compose("up", "--detach", "--wait", timeout=300)
    topology.wait_ready()
    timings["compose up to healthy"] = time.monotonic() - started
    try:
        yield topology
    finally:
        logs = topology.compose("logs", "--no-color", timeout=120)
        (work / "compose.log").write_text(logs.stdout + logs.stderr)
        topology.compose("down", "--volumes", "--remove-orphans", timeout=180)
        docker.stop()
        topology.report(f"container step timings (s): {', '.join(f'{k} {v:.1f}' for k, v in timings.items())}")
