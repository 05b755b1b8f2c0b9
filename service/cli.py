"""The one command line: `interlock serve | mcp | …`, the entrypoint that reads the environment."""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence

from service import logs
from service.settings import Settings, SettingsError
from service.supervisor import Supervisor

log = logging.getLogger("interlock")
SERVE_EPILOG = """settings come from the environment (the README lists them all), among them:
  REDIS_URL                unset: an embedded Valkey, data in $INTERLOCK_DATA_DIR (./.interlock);
                           redis+cluster://host:port[,…] names a Redis Cluster (then INTERLOCK_JOBS_URL
                           names a standalone Redis for the worker's scheduled jobs)
  API_KEY_SECRET           an admin key (agent and reviewer keys: INTERLOCK_AGENT_KEYS,
                           INTERLOCK_REVIEWER_KEYS, label=secret,...); no key at all: no auth
  LOOPIN_BASE_URL          the public URL in links (default http://localhost:<port>)
  INTERLOCK_SERVER         granian (default) or uvicorn
  INTERLOCK_FSYNC          everysec (default) or always, for the embedded Redis
  INTERLOCK_BODY_TIMEOUT_S 30: seconds a request's headers, then its body, may take"""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="interlock", description="Human-in-the-loop service for AI agents.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the HTTP API (with an embedded Redis when REDIS_URL is unset)",
        description="Run the HTTP API, its background worker and (when REDIS_URL is unset) an embedded Redis.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="bind address (default $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $PORT or 3002)")
    serve.add_argument("--workers", type=int, help="HTTP worker processes (default $INTERLOCK_WORKERS or 2)")
    serve.add_argument("--no-worker", action="store_true", help="run no background worker in this process tree")
    serve.add_argument(
        "--cluster", action="store_true", help="with REDIS_URL unset: an embedded 3-primary Redis Cluster instead"
    )
    worker = commands.add_parser("worker", help="run the background worker alone: deadlines, webhooks, email")
    worker.add_argument(
        "--check", action="store_true", help="exit 0 if a worker on this host beat in the last 30 s, else 1"
    )
    commands.add_parser("mcp", help="serve MCP on stdio as a client of the API (LOOPIN_API_URL, LOOPIN_API_KEY)")
    args = parser.parse_args(argv)
    if args.command == "mcp":
        return mcp_command()
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(f"interlock: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    if args.command == "serve":
        return serve_command(settings, host=args.host, port=args.port, workers=args.workers, worker=not args.no_worker,
                             cluster=args.cluster)  # fmt: skip
    if args.command == "worker":
        return worker_check(settings) if args.check else worker_command(settings)
    return 2


def mcp_command() -> int:
    """Serve MCP over stdio until the client closes it (logs go to stderr: stdout carries the protocol)."""
    import asyncio

    from service.mcp.stdio import serve_stdio

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(serve_stdio(os.environ))
    return 0


def refuse_legacy_store(redis_url: str) -> str | None:
    """Why `redis_url` cannot be served (it holds the unpartitioned layout), or None; unreachable counts as fine."""
    import asyncio

    from service.domain.errors import StoreUnavailable
    from service.store.connection import redis_factory_for
    from service.store.layout import legacy_data, refusal

    async def check() -> list[str]:
        redis = redis_factory_for(Settings(redis_url=redis_url))()
        try:
            return await legacy_data(redis)
        finally:
            await redis.aclose()

    try:
        found = asyncio.run(check())
    except StoreUnavailable:  # not up yet: the service answers 503 until it is, and checks nothing then
        return None
    return refusal(found) if found else None


def worker_command(settings: Settings) -> int:
    """Run the worker until SIGTERM/SIGINT."""
    import asyncio

    from worker.main import run

    if not settings.redis_url:
        print(
            "interlock: the worker needs REDIS_URL (interlock serve runs one next to its embedded Redis)",
            file=sys.stderr,
        )
        return 2
    if problem := refuse_legacy_store(settings.redis_url):
        print(f"interlock: {problem}", file=sys.stderr)
        return 1
    asyncio.run(run(settings))
    return 0


def worker_check(settings: Settings) -> int:
    """Whether a worker on this host is alive (its heartbeat in Redis is fresh): 0 yes, 1 no."""
    import asyncio
    import socket

    from service.clock import SystemClock
    from service.domain.errors import StoreUnavailable
    from service.store.connection import redis_factory_for
    from service.store.heartbeats import Heartbeats

    async def check() -> bool:
        redis = redis_factory_for(settings)()
        try:
            return await Heartbeats(redis, SystemClock()).alive(f"{socket.gethostname()}-")
        finally:
            await redis.aclose()

    try:
        alive = bool(settings.redis_url) and asyncio.run(check())
    except StoreUnavailable as exc:
        print(f"interlock: worker check: {exc}", file=sys.stderr)
        return 1
    print("worker alive" if alive else "no worker on this host beat in the last 30 s", file=sys.stderr)
    return 0 if alive else 1


def _apply_flags(*, host: str | None, port: int | None, workers: int | None) -> None:
    """The command line's flags win over the environment (the HTTP workers read it)."""
    overrides = {
        "HOST": host,
        "PORT": str(port) if port else None,
        "INTERLOCK_WORKERS": str(workers) if workers else None,
    }
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = value
    if port and not os.environ.get("LOOPIN_BASE_URL"):
        os.environ["LOOPIN_BASE_URL"] = f"http://localhost:{port}"


def serve_command(
    settings: Settings, *, host: str | None, port: int | None, workers: int | None, worker: bool = True,
    cluster: bool = False,
) -> int:  # fmt: skip
    """Start the embedded Redis (or cluster) if needed, and a worker unless told not to, then serve until a signal."""
    from service import servers
    from service.embedded import EmbeddedRedisError
    from service.local_stores import LocalStores

    _apply_flags(host=host, port=port, workers=workers)
    bind = Settings.from_env(os.environ)
    if servers.port_in_use(bind.host, bind.port):
        print(f"interlock: cannot serve on {bind.host}:{bind.port}: address already in use", file=sys.stderr)
        return 1
    embedded = None
    if not settings.redis_url:
        embedded = LocalStores(settings, cluster=cluster)
        try:
            os.environ.update(embedded.start())  # worker processes read it
        except EmbeddedRedisError as exc:
            embedded.stop()
            print(f"interlock: {exc}", file=sys.stderr)
            return 1
    if problem := refuse_legacy_store(os.environ.get("REDIS_URL", "")):
        if embedded is not None:
            embedded.stop()
        print(f"interlock: {problem}", file=sys.stderr)
        return 1
    helper = WorkerProcess() if worker else None
    supervisor = Supervisor()
    if embedded is not None:
        embedded.watch(supervisor)
    if helper is not None:
        supervisor.watch("the worker", helper.alive, helper.restart)
    supervisor.start()
    metrics_dir = _shared_metrics_dir()
    final = Settings.from_env(os.environ)
    announce_access(final)
    try:
        servers.run(final)
    finally:
        supervisor.stop()  # from here on a child that exits is meant to
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if helper is not None:
            helper.stop()
        if embedded is not None:
            embedded.stop()
    return 0


def announce_access(settings: Settings) -> None:
    """Say at startup whether auth is on and with which roles; warn when an open server is reachable from afar."""
    from service.api.hosts import is_loopback

    if settings.auth_enabled:
        counts = Counter(key.role.text for key in settings.keys)
        roles = ", ".join(f"{role} x{counts[role]}" for role in ("admin", "reviewer", "agent") if counts[role])
        log.info("auth is on: keys by role: %s; review links are %s", roles, settings.review_links)
        return
    log.info("auth is off: no API key is configured, every route is open to whoever can reach the server")
    if not is_loopback(settings.host):
        log.warning(
            "binding %s with no API keys: anyone who can reach it can create, read and decide interrupts; "
            "set API_KEY_SECRET or INTERLOCK_AGENT_KEYS/INTERLOCK_REVIEWER_KEYS",
            settings.host,
        )


def _shared_metrics_dir() -> str | None:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server's HTTP workers (unless the operator set one)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    directory = tempfile.mkdtemp(prefix="interlock-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # read by each worker process as it starts
    return directory


class WorkerProcess:
    """The `interlock worker` child of `interlock serve` (with this environment, REDIS_URL included)."""

    def __init__(self) -> None:
        self.proc = self._start()

    @staticmethod
    def _start() -> "subprocess.Popen[bytes]":
        from service.embedded import die_with_parent

        log.info("starting the worker process")
        # its own session: a Ctrl-C in the terminal reaches only `serve`, which then stops it in order
        return subprocess.Popen(
            [sys.executable, "-m", "service", "worker"],
            env=os.environ.copy(),
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def alive(self) -> bool:
        """True while it runs."""
        return self.proc.poll() is None

    def restart(self) -> None:
        """Start a new one (the old one has exited)."""
        self.proc = self._start()

    def stop(self) -> None:
        """SIGTERM it and let it finish the deliveries in flight."""
        _stop(self.proc)


def _stop(child: "subprocess.Popen[bytes]") -> None:
    """SIGTERM a child and give it time to drain; kill it if it hangs."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
