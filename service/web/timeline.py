"""The review page's history section: what each event of an interrupt's history says to a reviewer.

Webhook attempts are the operator's (GET /interrupts/{id}/history and /deliveries have them); a
mail being retried is said once it is sent or has failed.
"""

from typing import Any

from service.clock import iso_ms, utc_text
from service.domain.models import HistoryEvent

CHANNELS = {"api": "the API", "mcp": "MCP", "review-page": "the review page", "inbox": "the inbox",
            "email": "an emailed link", "timeout": "the deadline", "slack": "Slack"}  # fmt: skip


WHO = {"link": "someone with the open review link"}  # the actor of a decision through an open (LoopIn) link


def lines(events: list[HistoryEvent]) -> list[dict[str, str]]:
    """The section's lines, oldest first: {iso, text, said}."""
    found = []
    for event in events:
        said = _said(event)
        if said:
            found.append({"iso": iso_ms(event.at), "text": utc_text(event.at), "said": said})
    return found


def _said(event: HistoryEvent) -> str | None:
    detail: dict[str, Any] = event.detail or {}
    who = WHO.get(event.actor or "", event.actor or "someone")
    match event.event:
        case "created":
            return f"Asked by {detail.get('agentId', who)}"
        case "review-link":
            return f"Review link made for {detail.get('reviewer')}"
        case "review-mail":
            return _mail(detail)
        case "reminder":
            return f"Reminder {detail.get('reminder')} sent"
        case "escalated":
            added = detail.get("added") or []
            return f"Escalated to {', '.join(added)}" if added else "Escalated (everyone named already reviews)"
        case "decided":
            how = CHANNELS.get(event.channel, event.channel)
            return f"{str(detail.get('decision', '')).capitalize()} by {who} through {how}"
        case "expired":
            return "Expired undecided"
        case "cancelled":
            return f"Withdrawn by {who}"
        case "slack":
            return _slack(detail)
    return None


def _slack(detail: dict[str, Any]) -> str | None:
    state, posting = detail.get("state"), detail.get("action") == "posted"
    if state == "sent":
        return f"Posted to Slack ({detail.get('channel')})" if posting else "Slack message updated with the outcome"
    if state == "failed":
        return f"Could not {'post to' if posting else 'update'} Slack: {detail.get('error')}"
    return None  # retrying: said when it ends


def _mail(detail: dict[str, Any]) -> str | None:
    state, reviewer = detail.get("state"), detail.get("reviewer")
    what = f"Reminder {detail['reminder']}" if detail.get("reminder") else "Review link"
    if state == "sent":
        return f"{what} mailed to {reviewer}"
    if state == "failed":
        return f"{what} could not be mailed to {reviewer}"
    return None  # retrying (said when it ends) or skipped (the request had ended)
