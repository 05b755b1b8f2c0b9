"""create_app: the only place where settings, Redis, the clock, stores and routes are wired together."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from service import VERSION, answers, servers
from service.api import access
from service.api.deliveries import DeliveryController, FailedDeliveryController
from service.api.health import HealthController
from service.api.hosts import LoopbackHosts, is_loopback
from service.api.inbox_links import InboxLinkController
from service.api.interrupts import AnalyticsController, InterruptController, review_events
from service.api.loops import LoopController, root
from service.api.metrics import PUBSUB_MESSAGES, WAITERS, RequestCounts, RequestMetrics, metrics
from service.api.openapi import openapi_json
from service.api.problems import EXCEPTION_HANDLERS
from service.api.slack import slack_interactions, verifier
from service.asgi.replies import BODY_TIMEOUT_KEY
from service.clock import Clock, SystemClock
from service.domain import addresses
from service.domain.links import ReviewLinks
from service.domain.tokens import Signer
from service.mcp.http import mcp_endpoint, mcp_lifespan
from service.services import Services
from service.settings import Settings
from service.shutdown import on_shutdown_signal
from service.store import keys
from service.store.connection import RedisFactory, redis_factory_for
from service.store.deliveries import DeliveryStore
from service.store.health import HealthProbe
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.secrets import kept_secret
from service.store.slack import SlackStore
from service.store.subscriptions import Subscriptions, listener
from service.store.watching import WatchMarkers
from service.waiting.hub import WaiterHub
from service.waiting.inboxes import InboxSources
from service.web.docs_ui import SwaggerPage, docs_router
from service.web.inbox import InboxController
from service.web.inbox_feed import FeedCache, prepare
from service.web.review import ReviewController, robots

STATIC = Path(str(resources.files("service.web") / "static"))


def create_app(
    settings: Settings,
    *,
    redis_factory: RedisFactory | None = None,
    clock: Clock | None = None,
    handle_signals: bool = False,
) -> Litestar:
    """Build the ASGI app. Redis clients are made on startup, inside the serving event loop.

    With `handle_signals` (servers, not tests) a SIGTERM answers every open wait at once.
    """
    make_redis = redis_factory or redis_factory_for(settings)
    the_clock = clock or SystemClock()
    request_counts = RequestCounts()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = make_redis()
        subscriber = make_redis()  # its own pool: the subscriptions hold their connections for good
        subscriptions = Subscriptions(subscriber, counter=PUBSUB_MESSAGES)
        hub = WaiterHub(WAITERS, marker=listener(subscriptions, WatchMarkers(redis)), on_idle=subscriptions.drop)
        tokens = Signer(lambda: kept_secret(redis, keys.page_secret()))
        interrupts = InterruptStore(
            redis, the_clock, retention_ms=settings.retention_ms, check=answers.checked_decision
        )
        app.state.services = Services(
            settings=settings,
            clock=the_clock,
            interrupts=interrupts,
            health=HealthProbe(redis),
            deliveries=DeliveryStore(redis, retention_ms=settings.retention_ms),
            loops=LoopStore(redis, the_clock, retention_ms=settings.retention_ms),
            hub=hub,
            signer=tokens,
            links=ReviewLinks(tokens, settings.base_url),
            history=HistoryStore(redis),
            inboxes=InboxSources(hub, interrupts, the_clock, ping_s=settings.sse_ping_s, prepare=prepare),
            inbox_cache=FeedCache(),
            allowed_callbacks=addresses.parse_networks(settings.webhook_allow_cidrs),
            slack=SlackStore(redis),
            slack_verifier=verifier(settings.slack_signing_secret, the_clock) if settings.slack else None,
        )
        stop = asyncio.Event()
        feed = asyncio.create_task(hub.consume(subscriptions.feed(stop)), name="interlock-pubsub")
        app.state.request_counts = request_counts
        flusher = asyncio.create_task(request_counts.flush_every(1.0, stop), name="interlock-request-counts")
        notice = (
            on_shutdown_signal(asyncio.get_running_loop(), hub.close) if handle_signals else contextlib.nullcontext()
        )
        try:
            with notice:
                yield
        finally:
            hub.close()
            stop.set()
            _, late = await asyncio.wait({feed, flusher}, timeout=5)
            for task in late:
                task.cancel()
            await subscriber.aclose()
            await redis.aclose()

    app = Litestar(
        route_handlers=[
            InterruptController,
            AnalyticsController,
            DeliveryController,
            FailedDeliveryController,
            LoopController,
            root,
            ReviewController,
            review_events,
            InboxController,
            InboxLinkController,
            robots,
            create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False),
            HealthController,
            openapi_json,
            metrics,
            mcp_endpoint,
            slack_interactions,
        ],
        lifespan=[lifespan, mcp_lifespan(settings), *([freeze_heap] if handle_signals else [])],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[access.Keyring(settings.keys).middleware] if settings.auth_enabled else [],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Interlock",
            version=VERSION,
            path="/docs",
            description="Human-in-the-loop interrupts (LoopIn API) and loops (intheloop.run API) for AI agents.",
            render_plugins=[SwaggerPage()],
            openapi_router=docs_router(),
        ),
        logging_config=None,
    )
    access.assign(app, access.table_for(metrics_public=settings.metrics_public))
    app.state[BODY_TIMEOUT_KEY] = settings.body_timeout_s
    if is_loopback(settings.host):
        app.asgi_handler = LoopbackHosts(app.asgi_handler, settings.base_url)
    app.asgi_handler = RequestMetrics(app.asgi_handler, request_counts)
    return app


@asynccontextmanager
async def freeze_heap(_: Litestar) -> AsyncIterator[None]:
    """Once started, move everything alive into the GC's permanent generation.

    The libraries loaded at startup leave hundreds of thousands of long-lived objects; without this
    every full collection walks them all while requests wait (it doubled the p99 latency).
    """
    gc.collect()
    gc.freeze()
    yield


def app_from_env() -> Litestar:
    """Factory for multi-process servers: each worker process reads the environment once, here."""
    import os

    servers.die_with_server(os.environ)
    return create_app(Settings.from_env(os.environ), handle_signals=True)
