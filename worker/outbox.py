"""The outbox consumer: reads terminal events from the stream's consumer group and makes their first attempt.

An entry is acknowledged only after its attempt is logged (and its retry scheduled), so a worker
killed mid-delivery leaves it pending in the group, and another worker claims and sends it again
with the same webhook-id.
"""

import asyncio
import contextlib
import logging
from collections import deque

from service.clock import Clock, SystemClock
from service.domain.errors import StoreUnavailable
from service.domain.models import OutboxEntry
from service.store.deliveries import DeliveryStore
from worker.delivery import Deliverer
from worker.invites import Inviter
from worker.outage import OutageLog
from worker.reminders import Reminders
from worker.review_mail import ReviewMailer
from worker.slack import SlackMessenger

log = logging.getLogger(__name__)

READ_BATCH = 256
BLOCK_MS = 500
CLAIM_EVERY_S = 2.0
STALE_MS = 15_000  # longer than an attempt takes (10 s timeout + lookups); entries are only read into free slots
RETRY_PAUSE_S = 0.5
# the entries that are not a transition's webhook: mails, and Slack messages
MESSAGES = frozenset({"invite", "review-mail", "reminder", "escalation", "slack", "slack-update"})


class OutboxConsumer:
    """One consumer of the workers' group, with up to `concurrency` deliveries in flight."""

    def __init__(
        self,
        deliveries: DeliveryStore,
        deliverer: Deliverer,
        inviter: Inviter,
        review_mailer: ReviewMailer,
        reminders: Reminders,
        slack: SlackMessenger,
        *,
        name: str,
        concurrency: int = 64,
        stale_ms: int = STALE_MS,
        claim_every_s: float = CLAIM_EVERY_S,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._stale_ms = stale_ms
        self._claim_every_s = claim_every_s
        self._deliveries = deliveries
        self._deliverer = deliverer
        self._inviter = inviter
        self._review_mailer = review_mailer
        self._reminders = reminders
        self._slack = slack
        self._name = name
        self._free = concurrency
        self._room = asyncio.Event()
        self._room.set()
        self._inflight: set[asyncio.Task[None]] = set()
        self._waiting: deque[OutboxEntry] = deque()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then let the deliveries in flight finish.

        One reader per group of partitions one read may name (one on a single server, one per
        partition on a cluster), sharing this consumer's delivery slots; the first also takes over
        stale entries of every partition.
        """
        groups = self._deliveries.read_groups()
        readers = [asyncio.create_task(self._consume(group, stop, claims=n == 0)) for n, group in enumerate(groups)]
        await asyncio.gather(*readers)
        while self._inflight:  # those in flight, and the waiting ones they start as they finish
            await asyncio.wait(set(self._inflight))

    async def _consume(self, partitions: tuple[int, ...], stop: asyncio.Event, *, claims: bool) -> None:
        loop = asyncio.get_running_loop()
        next_claim = 0.0
        grouped = False
        outage = OutageLog("outbox", log)
        while not stop.is_set():
            try:
                if not grouped and claims:
                    await self._deliveries.ensure_group()
                    grouped = True
                await self._room.wait()  # read only what can start now: a read entry must not wait its turn
                if claims and loop.time() >= next_claim:
                    next_claim = loop.time() + self._claim_every_s
                    again, given_up = await self._deliveries.claim_stale(
                        self._name, min_idle_ms=self._stale_ms, count=self._free, now_ms=self._clock.now_ms()
                    )
                    for entry in given_up:
                        log.error("outbox: %s %s failed every try; given up (webhooks: in the failed list)",
                                  entry.kind, entry.subject_id)  # fmt: skip
                    self._start(again)
                if self._free:  # so nothing is waiting here: a read takes only what can start now, or soon
                    count = min(READ_BATCH, self._free)
                    entries = await self._deliveries.read(self._name, count=count, block_ms=BLOCK_MS,
                                                          partitions=partitions)  # fmt: skip
                    self._start(entries)
                outage.ok()
            except StoreUnavailable as exc:
                grouped = False  # a restarted Redis may have lost the group
                outage.failed(exc, RETRY_PAUSE_S)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RETRY_PAUSE_S)

    def _start(self, entries: list[OutboxEntry]) -> None:
        """Start `entries` in free slots; what does not fit waits here and starts as slots free up.

        A read takes up to `count` from each partition's outbox, so a read can bring more than the
        free slots; those wait in memory (still pending in the group: claimed by another worker if
        this one dies), and no new read is made until they have all started.
        """
        self._waiting.extend(entries)
        while self._free and self._waiting:
            self._free -= 1
            task = asyncio.create_task(self._handle(self._waiting.popleft()))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        if not self._free:
            self._room.clear()

    async def _handle(self, entry: OutboxEntry) -> None:
        try:
            if entry.kind in MESSAGES:
                await self._message(entry)
                await self._deliveries.ack([entry.entry_id])
                return
            number = None if entry.manual else 1
            await self._deliverer.attempt(
                entry.subject_id, entry.version, number, manual=entry.manual, entry_id=entry.entry_id, kind=entry.kind
            )
        except StoreUnavailable:
            log.warning("outbox: Redis unavailable while delivering %s; it stays queued", entry.subject_id)
        except Exception:
            log.exception("outbox: delivery of %s crashed; it stays queued for another try", entry.subject_id)
        finally:
            self._free += 1
            self._start([])
            if self._free:
                self._room.set()

    async def _message(self, entry: OutboxEntry) -> None:
        """The mails (and a reminder's webhook) or the Slack message of an entry of MESSAGES."""
        if entry.kind == "invite":  # a new loop's invitations
            await self._inviter.invite_all(entry.subject_id)
        elif entry.kind == "review-mail":  # a new interrupt's review mails
            await self._review_mailer.mail_all(entry.subject_id)
        elif entry.kind == "slack":
            await self._slack.post(entry.subject_id)
        elif entry.kind == "slack-update":
            await self._slack.update(entry.subject_id)
        elif entry.kind == "reminder":
            await self._reminders.remind(entry.subject_id, entry.number)
        else:  # "escalation": the reviewers it added, from index `number` on
            await self._reminders.escalate(entry.subject_id, entry.number)
