"""A function or tool call as a reviewer sees it, and what their answer does to it (decorator and bridges alike)."""

import json
from collections.abc import Mapping
from typing import Any

from interlock_client.models import Decision

MAX_ACTION = 500  # characters of the call written out, as the reviewer reads it


def call_text(name: str, arguments: Mapping[str, Any]) -> str:
    """The call written out: `pay_invoice(invoice='INV-7', amount=120)` (cut at MAX_ACTION characters)."""
    written = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"{name}({written})"[:MAX_ACTION]


def jsonable(value: Any) -> Any:
    """`value` as JSON holds it, or its `repr` when JSON cannot."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return repr(value)


def edits(decision: Decision, sent: Mapping[str, Any]) -> dict[str, Any]:
    """The values the reviewer changed (`modifiedParams` entries that differ from what was sent)."""
    return {k: v for k, v in (decision.modified_params or {}).items() if k not in sent or sent[k] != v}


def denial(decision: Decision) -> str:
    """What to tell a model whose call was not approved."""
    if decision.status == "rejected":
        why = f": {decision.reason}" if decision.reason else ""
        return f"A human ({decision.decided_by or 'a reviewer'}) rejected this call{why}. Do not retry it as is."
    if decision.status == "expired":
        return "No human decided on this call before its deadline, so it was not run."
    return "The request for approval of this call was cancelled, so it was not run."
