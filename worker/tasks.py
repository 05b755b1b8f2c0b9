"""arq jobs: each reloads state and compares versions, so running twice does no harm."""

from typing import Any

from arq import Retry

from service.domain.errors import StoreUnavailable
from worker.context import deps_of


async def deliver_webhook(ctx: dict[str, Any], interrupt_id: str, version: int, attempt: int) -> str:
    """Make a scheduled retry of a webhook and schedule the next one if it fails again."""
    deps = deps_of(ctx)
    try:
        done = await deps.deliverer.attempt(interrupt_id, version, attempt, manual=False)
        if done is not None and done.state == "retrying" and done.next_attempt_at is not None:
            delay_s = max(0.0, (done.next_attempt_at - done.at) / 1000)
            await deps.queue.schedule_delivery(interrupt_id, version, done.attempt + 1, delay_s)
    except StoreUnavailable:
        raise Retry(defer=1) from None
    return "skipped" if done is None else done.state
