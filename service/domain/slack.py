"""Slack as a reviewer channel, without I/O: the Block Kit message of an interrupt, and a button click read back.

Slack's limits are kept here: a header of 150 characters, a section of 3,000, and `&`, `<`, `>`
escaped in mrkdwn (the only characters Slack's markup treats specially).
"""

from typing import Any

import msgspec

from service.domain import jsontext, machine
from service.domain.models import Interrupt

APPROVE, REJECT = "interlock_approve", "interlock_reject"  # the buttons' action ids
DECISIONS = {APPROVE: machine.APPROVED, REJECT: machine.REJECTED}
MAX_HEADER, MAX_SECTION = 150, 3000
OUTCOME = {
    "approved": ":white_check_mark: Approved",
    "rejected": ":x: Rejected",
    "expired": ":hourglass: Expired undecided",
    "cancelled": ":no_entry_sign: Withdrawn by the agent",
}


def escaped(text: str) -> str:
    """`text` safe in mrkdwn: no link, mention or formatting can be injected through it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(record: Interrupt, review_url: str, now_ms: int) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of `record` as it reads at `now_ms`: the request with its buttons, or its outcome."""
    record = record.at(now_ms)
    status = record.status_at(now_ms)
    summary = _cut(jsontext.pretty(record.context), MAX_SECTION - 8)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(record.action, MAX_HEADER)}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Urgency*\n{escaped(record.urgency)}"},
            {"type": "mrkdwn", "text": f"*Agent*\n{_cut(escaped(record.agent_id), 500)}"},
            {"type": "mrkdwn", "text": f"*For*\n{_cut(escaped(record.user_id), 500)}"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{escaped(summary)}```"}},
    ]  # fmt: skip
    page = {"type": "button", "text": {"type": "plain_text", "text": "Open the review page"}, "url": review_url,
            "action_id": "interlock_open"}  # fmt: skip
    if status != machine.PENDING:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _outcome(record, status)}})
        blocks.append({"type": "actions", "elements": [page]})
        return f"{OUTCOME.get(status, status)}: {record.action}", blocks
    if record.response_schema is not None:  # a typed answer needs the form: no buttons here
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "This request asks for answers: "
                                                        "decide on the review page."}]})  # fmt: skip
        blocks.append({"type": "actions", "elements": [page]})
    else:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "style": "primary",
             "action_id": APPROVE, "value": record.id},
            {"type": "button", "text": {"type": "plain_text", "text": "Reject"}, "style": "danger",
             "action_id": REJECT, "value": record.id},
            page]})  # fmt: skip
    return f"Approval requested: {record.action}", blocks


def _outcome(record: Interrupt, status: str) -> str:
    said = OUTCOME.get(status, status)
    if record.decided_by:
        said += f" by {escaped(record.decided_by)}"
    if record.reason:
        said += f"\n>{_cut(escaped(record.reason), 1000)}"
    return f"*{said}*" if "\n" not in said else said


class SlackUser(msgspec.Struct, kw_only=True):
    """Who clicked (as Slack sends it)."""

    id: str
    username: str | None = None
    name: str | None = None


class SlackAction(msgspec.Struct, kw_only=True):
    """One clicked element."""

    action_id: str
    value: str | None = None


class Interaction(msgspec.Struct, kw_only=True):
    """The part of a `block_actions` payload a decision needs."""

    type: str
    user: SlackUser
    actions: list[SlackAction] = []


_decoder = msgspec.json.Decoder(Interaction)


def clicked(payload: str) -> tuple[str, str, str] | None:
    """(interrupt id, decision, who) of an Approve/Reject click, or None for anything else (another element, a view).

    `who` names the Slack user as decidedBy: `<username> (Slack <user id>)`.
    """
    try:
        found = _decoder.decode(payload)
    except msgspec.DecodeError:
        return None
    chosen = [a for a in found.actions if a.action_id in DECISIONS and a.value]
    if found.type != "block_actions" or not chosen:
        return None
    user = found.user
    handle = next((n for n in (user.username, user.name) if n and n.isprintable()), None)
    who = f"{handle} (Slack {user.id})" if handle else f"Slack {user.id}"
    return chosen[0].value or "", DECISIONS[chosen[0].action_id], _cut(who, 200)
