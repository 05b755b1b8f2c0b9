"""The outbox consumer: reads terminal events from the stream's consumer group and makes their first attempt.

An entry is acknowledged only after its attempt is logged (and its retry scheduled), so a worker
killed mid-delivery leaves it pending in the group, and another worker claims and sends it again
with the same webhook-id.
"""

import asyncio
import contextlib
import logging

from service.domain.errors import StoreUnavailable
from service.domain.models import OutboxEntry
from service.jobs import JobQueue
from service.store.deliveries import DeliveryStore
from worker.delivery import Deliverer

log = logging.getLogger(__name__)

READ_BATCH = 256
BLOCK_MS = 500
CLAIM_EVERY_S = 5.0
STALE_MS = 30_000  # longer than an attempt can take (10 s timeout + lookups)
RETRY_PAUSE_S = 0.5


class OutboxConsumer:
    """One consumer of the workers' group, with up to `concurrency` deliveries in flight."""

    def __init__(
        self, deliveries: DeliveryStore, deliverer: Deliverer, queue: JobQueue, *, name: str, concurrency: int = 256
    ) -> None:
        self._deliveries = deliveries
        self._deliverer = deliverer
        self._queue = queue
        self._name = name
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then let the deliveries in flight finish."""
        loop = asyncio.get_running_loop()
        next_claim = 0.0
        while not stop.is_set():
            try:
                await self._deliveries.ensure_group()
                if loop.time() >= next_claim:
                    next_claim = loop.time() + CLAIM_EVERY_S
                    await self._start(await self._deliveries.claim_stale(self._name, min_idle_ms=STALE_MS, count=100))
                await self._start(await self._deliveries.read(self._name, count=READ_BATCH, block_ms=BLOCK_MS))
            except StoreUnavailable:
                log.warning("outbox: Redis unavailable; retrying in %.1fs", RETRY_PAUSE_S)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RETRY_PAUSE_S)
        if self._inflight:
            await asyncio.wait(self._inflight)

    async def _start(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            await self._slots.acquire()
            task = asyncio.create_task(self._handle(entry))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _handle(self, entry: OutboxEntry) -> None:
        try:
            number = None if entry.manual else 1
            attempt = await self._deliverer.attempt(entry.interrupt_id, entry.version, number, manual=entry.manual)
            if attempt is not None and attempt.state == "retrying" and attempt.next_attempt_at is not None:
                delay_s = max(0.0, (attempt.next_attempt_at - attempt.at) / 1000)
                await self._queue.schedule_delivery(entry.interrupt_id, entry.version, attempt.attempt + 1, delay_s)
            await self._deliveries.ack([entry.entry_id])
        except StoreUnavailable:
            log.warning("outbox: Redis unavailable while delivering %s; it stays queued", entry.interrupt_id)
        except Exception:
            log.exception("outbox: delivery of %s crashed; it stays queued for another try", entry.interrupt_id)
        finally:
            self._slots.release()
