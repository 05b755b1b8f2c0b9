"""Runs the ASGI app under the chosen HTTP server (granian or uvicorn), with one or more worker processes."""

import logging
import os
import socket
from collections.abc import Mapping, MutableMapping

from service import logs
from service.embedded import die_with_parent
from service.settings import Settings

log = logging.getLogger(__name__)
APP_FACTORY = "service.app:app_from_env"
SERVER_PID = "INTERLOCK_SERVER_PID"  # the process that started the HTTP workers (set by `run`, read in each worker)


def mark_server(env: MutableMapping[str, str]) -> None:
    """Tell the HTTP worker processes about to start which process they belong to."""
    env[SERVER_PID] = str(os.getpid())


def die_with_server(env: Mapping[str, str]) -> None:
    """In an HTTP worker process: stop when the process that started it dies, even by kill -9.

    Otherwise a killed `serve` leaves its workers answering on the port without their Redis or
    worker, and a restarted `serve` cannot bind it. Nothing happens in the server's own process
    (uvicorn with one worker serves there). Servers start their workers from their main thread,
    whose end is what Linux watches.
    """
    server = env.get(SERVER_PID, "")
    if not (server.isascii() and server.isdigit()) or int(server) == os.getpid():
        return
    die_with_parent()
    if os.getppid() != int(server):  # it died before the request took effect
        os._exit(0)


def port_in_use(host: str, port: int) -> bool:
    """True when another socket already listens on (host, port).

    Granian binds with `SO_REUSEPORT`, so a second server on a taken port would silently share it
    (requests alternating between two services); a plain bind here refuses instead.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def run(settings: Settings, target: str = APP_FACTORY) -> None:
    """Serve `target` (an app factory) until SIGINT/SIGTERM; each worker process builds its own app."""
    log.info("serving on http://%s:%d with %s x%d", settings.host, settings.port, settings.server, settings.workers)
    mark_server(os.environ)
    if settings.server == "uvicorn":
        import uvicorn

        uvicorn.run(
            target,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            loop="uvloop",
            http="service.slow_headers:BoundedHeaders",  # httptools, with a bound on slow headers
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        return
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    Granian(
        target,
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        # HTTP/1.1 only: "auto" (also h2c) holds ~35 KiB per open request against ~21 KiB, and
        # thousands of long-polls stay open; HTTP/2 belongs on the TLS proxy in front
        http=HTTPModes.http1,
        # headers not complete within the body timeout: the connection is closed (a slow-loris holds nothing)
        http1_settings=HTTP1Settings(header_read_timeout=int(settings.body_timeout_s * 1000)),
        workers=settings.workers,
        loop=Loops.uvloop,
        log_access=False,
        log_dictconfig=logs.granian_config(settings.log_format),
        workers_kill_timeout=10,
        # a worker killed from outside (the OOM killer) is replaced while the others keep serving;
        # without this granian stops the whole server; a crash loop (< 5.5 s apart) still stops it
        respawn_failed_workers=True,
        # long-polls and streams are held open: granian's default cap (backlog / workers = 1024
        # concurrent requests per worker) would stall the 1025th waiter
        backlog=4096,
        backpressure=settings.max_concurrency,
    ).serve()
