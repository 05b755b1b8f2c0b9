"""GET /metrics: Prometheus text — service-wide counters kept in Redis, plus this server's own request counters.

The counters of interrupts and webhooks live in Redis (the transition scripts and the worker keep
them), so every API process reports the same service-wide values. Requests and open waiters are
per process; `interlock serve` points every HTTP worker at one PROMETHEUS_MULTIPROC_DIR, so a
scrape of any worker reports the sum over the server's workers.
"""

import asyncio
import contextlib
import os
from collections import Counter as CountTable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from service.domain import machine
from service.domain.errors import StoreUnavailable
from service.services import services

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUESTS = Counter(
    "interlock_http_requests", "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"], registry=None,
)  # fmt: skip
PUBSUB_MESSAGES = Counter(
    "interlock_pubsub_messages", "Change messages this process heard on its pub/sub subscriptions", registry=None
)
WAITERS = Gauge(
    "interlock_waiters_open", "Long-polls, event streams and inbox feeds held open", registry=None,
    multiprocess_mode="livesum",
)  # fmt: skip


class RequestCounts:
    """Requests answered by this process, counted in a plain dict and flushed to the shared counter.

    A shared-memory counter on the request path cost ~10 % of throughput; flushes happen every
    second and before each scrape.
    """

    def __init__(self) -> None:
        self._counts: CountTable[tuple[str, str, int]] = CountTable()

    def add(self, method: str, route: str, status: int) -> None:
        """One answered request."""
        self._counts[(method, route, status)] += 1

    def flush(self) -> None:
        """Move the counts so far into the Prometheus counter."""
        counts, self._counts = self._counts, CountTable()
        for (method, route, status), n in counts.items():
            REQUESTS.labels(method, route, str(status)).inc(n)

    async def flush_every(self, seconds: float, stop: asyncio.Event) -> None:
        """Flush until `stop` is set, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            self.flush()


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """ASGI middleware counting each answered request by route template (not raw path) and status.

    Every label is bounded: a method outside KNOWN_METHODS counts as `other`, a path no route
    matched as `unmatched`, so made-up methods and paths cannot grow the scrape.
    """

    def __init__(self, app: ASGIApp, counts: RequestCounts) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting the status it was answered with."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
        status = 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            self.counts.add(method, scope.get("path_template") or "unmatched", status)


class ServiceCollector(Collector):
    """The service-wide counters read from Redis for this scrape."""

    def __init__(self, counters: dict[str, int] | None) -> None:
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        """Redis reachability, then pending, outcomes, time to decision and webhook attempts."""
        yield GaugeMetricFamily(
            "interlock_redis_up", "1 when Redis answered this scrape", int(self._counters is not None)
        )
        if self._counters is None:
            return
        c = self._counters
        created = sum(c.get(f"pending:{u}", 0) for u in machine.URGENCIES) + sum(
            c.get(f"ended:{status}", 0) for status in machine.TERMINAL
        )  # every create is pending until it ends: no counter of its own on the create path
        yield CounterMetricFamily("interlock_interrupts_created", "Interrupts created", created)
        pending = GaugeMetricFamily(
            "interlock_interrupts_pending", "Pending interrupts by urgency (until the worker records expiries)",
            labels=["urgency"],
        )  # fmt: skip
        for urgency in machine.URGENCIES:
            pending.add_metric([urgency], c.get(f"pending:{urgency}", 0))
        yield pending
        ended = CounterMetricFamily(
            "interlock_interrupts_ended", "Interrupts that reached a final status: decisions, expiries, cancels",
            labels=["status"],
        )  # fmt: skip
        for status in machine.TERMINAL:
            ended.add_metric([status], c.get(f"ended:{status}", 0))
        yield ended
        buckets, running = [], 0
        for le in machine.TTD_BUCKETS_MS:
            running += c.get(f"ttd:{le}", 0)
            buckets.append((str(le / 1000), running))
        buckets.append(("+Inf", running + c.get("ttd:+Inf", 0)))
        yield HistogramMetricFamily(
            "interlock_time_to_decision_seconds", "From create to approve/reject", buckets=buckets,
            sum_value=c.get("ttd_ms", 0) / 1000,
        )  # fmt: skip
        attempts = CounterMetricFamily(
            "interlock_webhook_attempts", "Webhook attempts by result (failed = given up)", labels=["result"]
        )
        for result in ("delivered", "retrying", "failed"):
            attempts.add_metric([result], c.get(f"webhook:{result}", 0))
        yield attempts


def forget_dead_processes(directory: str) -> list[int]:
    """Drop the live gauges of worker processes that are gone (a killed HTTP worker's open waiters).

    `livesum` gauges count only live processes once the dead one is marked; granian has no hook
    for that, so each scrape checks the pids that left gauge files. Returns the pids forgotten.
    """
    dead = set()
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:  # alive, someone else's
            continue
    for pid in dead:
        mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
    return sorted(dead)


def _registry(counters: dict[str, int] | None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        forget_dead_processes(directory)
        MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(WAITERS)
        registry.register(PUBSUB_MESSAGES)
    registry.register(ServiceCollector(counters))
    return registry


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The exposition; with Redis down it still answers, with `interlock_redis_up 0`."""
    request.app.state.request_counts.flush()  # this process's latest, before the snapshot
    try:
        counters: dict[str, int] | None = await services(request).interrupts.service_counters()
    except StoreUnavailable:
        counters = None
    return Response(generate_latest(_registry(counters)), media_type=CONTENT_TYPE_LATEST)
