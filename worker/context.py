"""The worker's dependencies, built once per process and handed to arq jobs through its ctx."""

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import httpx
from arq.connections import ArqRedis
from httpx_aiohttp import AiohttpTransport
from slack_sdk.web.async_client import AsyncWebClient

from service.clock import Clock, SystemClock
from service.domain import addresses
from service.domain.links import ReviewLinks
from service.domain.tokens import Signer
from service.jobs import ArqJobQueue
from service.settings import Settings, SettingsError
from service.store import keys
from service.store.connection import AnyRedis, client_factory, cluster_address, redis_factory_for
from service.store.deliveries import DeliveryStore
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.nudges import NudgeStore
from service.store.secrets import kept_secret
from service.store.slack import SlackStore
from worker import mail, webhooks
from worker.delivery import Deliverer
from worker.invites import Inviter
from worker.review_mail import ReviewMailer
from worker.slack import SlackMessenger

log = logging.getLogger(__name__)


def jobs_url(settings: Settings) -> str | None:
    """Arq's job store: INTERLOCK_JOBS_URL, else REDIS_URL unless that is a cluster (arq's enqueue spans slots).

    Jobs carry only ids and the cluster holds every state, so losing this store loses no decision.
    """
    if settings.jobs_url:
        return settings.jobs_url
    if cluster_address(settings.redis_url or "") is not None:
        raise SettingsError("REDIS_URL names a cluster: INTERLOCK_JOBS_URL must name a standalone Redis for arq's jobs")
    return settings.redis_url


@dataclass(slots=True)
class Deps:
    """What the worker's loops and jobs use."""

    settings: Settings
    clock: Clock
    redis: AnyRedis
    arq: ArqRedis
    interrupts: InterruptStore
    loops: LoopStore
    deliveries: DeliveryStore
    deliverer: Deliverer
    queue: ArqJobQueue
    inviter: Inviter
    review_mailer: ReviewMailer
    transport: httpx.AsyncBaseTransport
    name: str
    nudges: NudgeStore
    slack: SlackMessenger

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> "Deps":
        """Connect to Redis, load the signing secrets and build the deliverer."""
        the_clock = clock or SystemClock()
        redis = redis_factory_for(settings)()
        arq = client_factory(jobs_url(settings), settings.redis_pool_size, ArqRedis, decode=False)()
        interrupts = InterruptStore(redis, the_clock, retention_ms=settings.retention_ms)
        loops = LoopStore(redis, the_clock, retention_ms=settings.retention_ms)
        deliveries = DeliveryStore(redis, retention_ms=settings.retention_ms)
        secrets = webhooks.secrets_from(settings.webhook_secret or await deliveries.secret())
        # httpx's transport API over aiohttp's connection pool: httpcore's pool cost ~3x the CPU per
        # request here; trust_env off, since a proxy from the environment would reach unchecked addresses
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        transport = AiohttpTransport(limits=limits, trust_env=False)
        queue = ArqJobQueue(arq)
        deliverer = Deliverer(
            deliveries=deliveries,
            queue=queue,
            transport=transport,
            secrets=secrets,
            allowed=addresses.parse_networks(settings.webhook_allow_cidrs),
            clock=the_clock,
            retry_scale=settings.retry_scale,
        )
        name = f"{socket.gethostname()}-{os.getpid()}"
        smtp = mail.smtp_options(settings.smtp_url) if settings.smtp_url else None
        inviter = Inviter(loops=loops, queue=queue, clock=the_clock, base_url=settings.base_url,
                          sender=settings.smtp_from, smtp=smtp, retry_scale=settings.retry_scale)  # fmt: skip
        links = ReviewLinks(Signer(lambda: kept_secret(redis, keys.page_secret())), settings.base_url)
        review_mailer = ReviewMailer(interrupts=interrupts, history=HistoryStore(redis), links=links, queue=queue,
                                     clock=the_clock, sender=settings.smtp_from, smtp=smtp,
                                     retry_scale=settings.retry_scale)  # fmt: skip
        client = (
            AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url) if settings.slack else None
        )
        messenger = SlackMessenger(interrupts=interrupts, history=review_mailer.history, messages=SlackStore(redis),
                                   queue=queue, clock=the_clock, client=client, base_url=settings.base_url,
                                   retry_scale=settings.retry_scale)  # fmt: skip
        return cls(settings, the_clock, redis, arq, interrupts, loops, deliveries, deliverer, queue, inviter,
                   review_mailer, transport, name, NudgeStore(redis, the_clock), messenger)  # fmt: skip

    async def close(self) -> None:
        """Close every connection."""
        await self.transport.aclose()
        await self.arq.aclose()
        await self.deliveries.aclose()
        await self.redis.aclose()


def deps_of(ctx: dict[str, Any]) -> Deps:
    """The Deps stored in an arq job's ctx."""
    found: Deps = ctx["deps"]
    return found
