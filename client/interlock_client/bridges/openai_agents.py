"""OpenAI Agents SDK: tools with `needs_approval` are decided by a human through Interlock.

The SDK's own idiom: a run that reaches such a tool call stops with `result.interruptions`; the
caller approves or rejects each on `result.to_state()` and runs again from that state.
`run_with_approvals` does exactly that, asking Interlock about each interruption.

The SDK cannot run an approved call with other arguments, so an approval with edited arguments
is sent back to the model as a rejection naming the approved arguments, and the model's next call
of that tool with exactly those arguments is approved on the strength of the same decision
(nobody is asked twice).
"""

import asyncio
import json
from typing import Any

from agents import Agent, Runner, RunResult, RunState, ToolApprovalItem

from interlock_client.aio import AsyncInterlock
from interlock_client.calls import call_text, denial, edits
from interlock_client.models import Decision
from interlock_client.protocol import DEFAULT_EXPIRES_IN

Approved = dict[tuple[str, str], Decision]  # (tool, its arguments as canonical JSON) → the decision that approved them


async def run_with_approvals(
    agent: Agent[Any], run_input: Any, client: AsyncInterlock, *, user_id: str, agent_id: str,
    expires_in: float = DEFAULT_EXPIRES_IN, max_rounds: int = 20, **run_options: Any,
) -> RunResult:  # fmt: skip
    """`Runner.run`, with every interruption asked of a human and the run resumed, until it ends."""
    approved: Approved = {}
    result = await Runner.run(agent, run_input, **run_options)
    for _ in range(max_rounds):
        if not result.interruptions:
            return result
        state = result.to_state()
        await asyncio.gather(*(_resolve(state, item, client, approved, user_id, agent_id, expires_in)
                               for item in result.interruptions))  # fmt: skip
        result = await Runner.run(agent, state, **run_options)
    raise RuntimeError(f"the run still asked for approvals after {max_rounds} rounds")


async def _resolve(
    state: RunState[Any], item: ToolApprovalItem, client: AsyncInterlock, approved: Approved, user_id: str,
    agent_id: str, expires_in: float,
) -> None:  # fmt: skip
    name = item.tool_name or "tool"
    arguments = _arguments(item)
    key = (name, json.dumps(arguments, sort_keys=True))
    if key in approved:  # the call as a human already approved it (with their edits)
        state.approve(item)
        return
    decision = await client.ask(call_text(name, arguments), context=arguments, user_id=user_id, agent_id=agent_id,
                                expires_in=expires_in)  # fmt: skip
    changed = edits(decision, arguments)
    if decision.approved and not changed:
        state.approve(item)
    elif decision.approved:
        wanted = arguments | changed
        approved[(name, json.dumps(wanted, sort_keys=True))] = decision
        state.reject(item, rejection_message=(
            f"A human ({decision.decided_by or 'a reviewer'}) approved this call only with these arguments: "
            f"{json.dumps(wanted)}. Call {name} again with exactly them."))  # fmt: skip
    else:
        state.reject(item, rejection_message=denial(decision))


def _arguments(item: ToolApprovalItem) -> dict[str, Any]:
    raw = item.raw_item
    text = raw.get("arguments") if isinstance(raw, dict) else getattr(raw, "arguments", None)
    parsed = json.loads(text or "{}") if isinstance(text, str | None) else text
    return parsed if isinstance(parsed, dict) else {"arguments": parsed}
