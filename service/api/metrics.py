"""GET /metrics: Prometheus text exposition of this process's gauges and counters."""

from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.api.deps import services
from service.events import WaiterHub


class WaiterCollector(Collector):
    """Reads the hub's open waiters at scrape time (no bookkeeping on the request path)."""

    def __init__(self, hub: WaiterHub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge: waits (long-polls and streams) open in this process."""
        yield GaugeMetricFamily(
            "interlock_waiters_open", "Long-polls and event streams held open by this process", self._hub.open_waiters
        )


def registry_for(hub: WaiterHub) -> CollectorRegistry:
    """A registry of this process's collectors (one per app, so test apps do not share state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WaiterCollector(hub))
    return registry


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The metrics of the process that answers (scrape each process, as Prometheus does with pods)."""
    body = generate_latest(services(request).metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
