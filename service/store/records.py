"""How an interrupt is kept: its record rebuilt from its hash, and the winner a conflict reply carries."""

from typing import Any

import msgspec

from service.clock import iso_ms
from service.domain.models import Actor, Interrupt


def from_hash(interrupt_id: str, fields: dict[str, str]) -> Interrupt:
    """Build an Interrupt from its stored hash fields (the id lives in the key, not the hash)."""
    decided_at = fields.get("decidedAt")
    return Interrupt(
        id=interrupt_id,
        agent_id=fields["agentId"],
        user_id=fields["userId"],
        action=fields["action"],
        context=fields["context"],
        urgency=fields["urgency"],
        status=fields["status"],
        created_at=int(fields["createdAt"]),
        expires_at=int(fields["expiresAt"]),
        version=int(fields["v"]),
        decided_at=int(decided_at) if decided_at else None,
        decision=fields.get("decision"),
        reason=fields.get("reason"),
        modified_params=fields.get("modifiedParams"),
        callback_url=fields.get("callbackUrl"),
        created_by=Actor(by=fields["createdBy"] or None, via=fields["createdVia"]) if "createdVia" in fields else None,
        ended_by=Actor(by=fields["by"] or None, via=fields["via"]) if "via" in fields else None,
        reviewers=tuple(msgspec.json.decode(fields["reviewers"])) if "reviewers" in fields else (),
        on_timeout=fields.get("onTimeout"),
        response_schema=fields.get("responseSchema"),
        response=fields.get("response"),
        slack_channel=fields.get("slackChannel"),
    )


def conflict_current(interrupt_id: str, reply: list[Any]) -> dict[str, Any]:
    """The winning state carried by a conflict reply, in wire names (absent fields left out)."""
    current: dict[str, Any] = {"interruptId": interrupt_id, "status": reply[1]}
    if reply[3] is not None:
        current["decision"] = reply[3]
    if reply[4] is not None:
        current["decidedAt"] = iso_ms(int(reply[4]))
    if reply[5] is not None:
        current["reason"] = reply[5]
    if reply[6] is not None:
        current["modifiedParams"] = msgspec.json.decode(reply[6])
    if reply[3] is not None and reply[7]:
        current["decidedBy"] = reply[7]
    if reply[8] is not None:
        current["response"] = msgspec.json.decode(reply[8])
    return current
