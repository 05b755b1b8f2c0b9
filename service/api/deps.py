"""The per-process services a request handler may use, kept on the app's state."""

from dataclasses import dataclass
from typing import Any

from litestar import Request
from prometheus_client import CollectorRegistry

from service.clock import Clock
from service.events import WaiterHub
from service.settings import Settings
from service.store.health import HealthProbe
from service.store.interrupts import InterruptStore


@dataclass(slots=True)
class Services:
    """What handlers call: the stores, the clock and the settings."""

    settings: Settings
    clock: Clock
    interrupts: InterruptStore
    health: HealthProbe
    hub: WaiterHub
    metrics: CollectorRegistry


def services(request: Request[Any, Any, Any]) -> Services:
    """The Services of the app serving `request`."""
    found: Services = request.app.state.services
    return found
