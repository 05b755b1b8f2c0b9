"""The worker process: arq for scheduled retries, plus the outbox consumer, the deadline sweep and keyspace listener."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from arq import Worker
from arq.worker import func

from service.clock import Clock
from service.domain.errors import StoreUnavailable
from service.jobs import DELIVER_WEBHOOK, SEND_INVITE, SEND_SLACK
from service.settings import Settings
from service.store.heartbeats import BEAT_EVERY_S, Heartbeats
from service.store.notifications import expired_deadlines
from worker import tasks
from worker.context import Deps
from worker.deadlines import DeadlineSweeper
from worker.outbox import OutboxConsumer
from worker.reminders import Reminders

log = logging.getLogger(__name__)

JOB_TIMEOUT_S = 30  # an attempt takes at most ~10 s; a killed worker's job is retried after this
DRAIN_S = 10.0
PRUNE_EVERY_S = 60.0
MAX_TRIES = 50  # runs of one job while Redis is down (tasks.later spaces them over ~45 minutes)


def arq_worker(deps: Deps) -> Worker:
    """The arq Worker running scheduled webhook retries (signals are handled by `run`, not arq)."""
    return Worker(
        functions=[
            func(tasks.deliver_webhook, name=DELIVER_WEBHOOK, timeout=JOB_TIMEOUT_S, max_tries=MAX_TRIES),
            func(tasks.send_invite, name=SEND_INVITE, timeout=60, max_tries=MAX_TRIES),
            func(tasks.send_slack, name=SEND_SLACK, timeout=60, max_tries=MAX_TRIES),
        ],
        redis_pool=deps.arq,
        ctx={"deps": deps},
        handle_signals=False,
        poll_delay=0.1,
        max_jobs=200,
        keep_result=3600,
    )


async def run(settings: Settings, *, stop: asyncio.Event | None = None, clock: Clock | None = None) -> None:
    """Run every part of the worker until `stop` is set (or SIGTERM/SIGINT), then drain and close."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    deps = await Deps.open(settings, clock)
    worker = arq_worker(deps)
    sweeper = DeadlineSweeper([deps.interrupts, deps.loops, deps.nudges], deps.clock, on_tick=_pruner(deps))
    reminders = Reminders(deps.interrupts, deps.review_mailer.history, deps.review_mailer, deps.deliverer, deps.clock)
    consumer = OutboxConsumer(
        deps.deliveries, deps.deliverer, deps.inviter, deps.review_mailer, reminders, deps.slack, name=deps.name,
        clock=deps.clock,
    )  # fmt: skip
    parts = [
        asyncio.create_task(consumer.run(stop), name="outbox"),
        asyncio.create_task(sweeper.run(stop), name="deadlines"),
        asyncio.create_task(_listen(deps, stop), name="keyspace"),
        asyncio.create_task(_heartbeat(deps, stop), name="heartbeat"),
    ]
    arq_task = asyncio.create_task(worker.async_run(), name="arq")
    log.info("worker %s running", deps.name)
    try:
        await stop.wait()
    finally:
        log.info("worker %s stopping: finishing deliveries in flight", deps.name)
        worker.allow_pick_jobs = False
        await asyncio.wait(parts, timeout=DRAIN_S)
        running = [t for t in worker.tasks.values() if not t.done()]
        if running:
            await asyncio.wait(running, timeout=DRAIN_S)
        for task in [*running, *parts, arq_task]:  # arq's own close() uses a deprecated redis-py call
            task.cancel()
        await asyncio.gather(*running, *parts, arq_task, return_exceptions=True)
        await deps.close()


async def _listen(deps: Deps, stop: asyncio.Event) -> None:
    """Expire interrupts as Redis reports their deadline keys expired (the fast path)."""
    async for interrupt_id in expired_deadlines(deps.redis, stop):
        with contextlib.suppress(StoreUnavailable):  # the sweep will get it
            await deps.interrupts.expire(interrupt_id)


async def _heartbeat(deps: Deps, stop: asyncio.Event) -> None:
    """Note this worker alive every few seconds, for `interlock worker --check` (a container's health check)."""
    beats = Heartbeats(deps.redis, deps.clock)
    while not stop.is_set():
        with contextlib.suppress(StoreUnavailable):  # the outage is logged by the other parts
            await beats.beat(deps.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), BEAT_EVERY_S)


def _pruner(deps: Deps) -> Callable[[], Awaitable[None]]:
    """A sweep hook that drops failed-delivery index entries older than retention, once a minute."""
    last = 0.0

    async def prune() -> None:
        nonlocal last
        now = asyncio.get_running_loop().time()
        if now - last >= PRUNE_EVERY_S:
            last = now
            await deps.deliveries.forget_failed_before(deps.clock.now_ms() - deps.settings.retention_ms)

    return prune
