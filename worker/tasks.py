"""arq jobs: each reloads state and compares versions, so running twice does no harm."""

from typing import Any

from arq import Retry

from service.domain.errors import StoreUnavailable
from worker.context import deps_of


def later(ctx: dict[str, Any]) -> Retry:
    """Try the job again once Redis may be back: 1, 2, 4 … 60 s apart, so its max_tries span ~45 minutes."""
    return Retry(defer=min(60, 2 ** (int(ctx.get("job_try", 1)) - 1)))


async def deliver_webhook(
    ctx: dict[str, Any], subject_id: str, version: int, attempt: int, kind: str = "interrupt"
) -> str:
    """Make a scheduled retry of a webhook (the next one is scheduled if it fails again)."""
    deps = deps_of(ctx)
    try:
        done = await deps.deliverer.attempt(subject_id, version, attempt, manual=False, kind=kind)
    except StoreUnavailable:
        raise later(ctx) from None
    return "nothing to send" if done is None else done.state


async def send_invite(
    ctx: dict[str, Any], subject_id: str, index: int, attempt: int, kind: str = "loop", reminder: int = 0
) -> str:
    """Retry one loop invitation or review mail (`kind="review"`, reminder `reminder`); the next one if it fails."""
    deps = deps_of(ctx)
    try:
        if kind == "review":
            return await deps.review_mailer.send_one(subject_id, index, attempt, reminder)
        return await deps.inviter.send_one(subject_id, index, attempt)
    except StoreUnavailable:
        raise later(ctx) from None


async def send_slack(ctx: dict[str, Any], interrupt_id: str, step: str, attempt: int) -> str:
    """Retry an interrupt's Slack post or update (`step`); the next one is scheduled if it fails again."""
    deps = deps_of(ctx)
    try:
        if step == "slack-post":
            return await deps.slack.post(interrupt_id, attempt)
        return await deps.slack.update(interrupt_id, attempt)
    except StoreUnavailable:
        raise later(ctx) from None
