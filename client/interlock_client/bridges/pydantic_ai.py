"""pydantic-ai: tools with `requires_approval=True` are decided by a human through Interlock.

Two ways, both pydantic-ai's own deferred-tools idiom: inline, as a capability
(`Agent(..., capabilities=[approvals.capability()])`: the run waits for the human and goes on), or
after a run that ended with `DeferredToolRequests` (`await approvals.results(result.output)`, passed
to the next run as `deferred_tool_results`). An approval with edited arguments runs the tool with
them (`ToolApproved(override_args=…)`); anything else is a `ToolDenied` telling the model why.
"""

import asyncio
from typing import Any

from pydantic_ai.capabilities import HandleDeferredToolCalls
from pydantic_ai.messages import ToolCallPart
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults, RunContext, ToolApproved, ToolDenied

from interlock_client.aio import AsyncInterlock
from interlock_client.calls import call_text, denial, edits
from interlock_client.models import Decision
from interlock_client.protocol import DEFAULT_EXPIRES_IN, DEFAULT_URGENCY


class InterlockApprovals:
    """Asks Interlock about every tool call awaiting approval (all at once) and answers with the decisions."""

    def __init__(
        self,
        client: AsyncInterlock,
        *,
        user_id: str,
        agent_id: str,
        urgency: str = DEFAULT_URGENCY,
        expires_in: float = DEFAULT_EXPIRES_IN,
    ) -> None:
        self._client = client
        self._user_id, self._agent_id, self._urgency, self._expires_in = user_id, agent_id, urgency, expires_in

    async def results(self, requests: DeferredToolRequests) -> DeferredToolResults:
        """The humans' answers to `requests.approvals` (other deferred calls are left to you)."""
        decisions = await asyncio.gather(*(self._decide(call) for call in requests.approvals))
        approvals = {
            c.tool_call_id: answer(d, c.args_as_dict()) for c, d in zip(requests.approvals, decisions, strict=True)
        }
        who = {c.tool_call_id: d.decided_by for c, d in zip(requests.approvals, decisions, strict=True) if d.decided_by}
        return requests.build_results(approvals=approvals, answered_by=who)

    def capability(self) -> HandleDeferredToolCalls[Any]:
        """The capability that resolves approvals inline: the run waits for the decisions and continues."""

        async def handle(ctx: RunContext[Any], requests: DeferredToolRequests) -> DeferredToolResults | None:
            return await self.results(requests) if requests.approvals else None

        return HandleDeferredToolCalls(handler=handle)

    async def _decide(self, call: ToolCallPart) -> Decision:
        arguments = call.args_as_dict()
        return await self._client.ask(
            call_text(call.tool_name, arguments),
            context=arguments,
            user_id=self._user_id,
            agent_id=self._agent_id,
            urgency=self._urgency,
            expires_in=self._expires_in,
        )


def answer(decision: Decision, arguments: dict[str, Any]) -> ToolApproved | ToolDenied:
    """pydantic-ai's form of a decision: approved (with the reviewer's edits applied) or denied, saying why."""
    if not decision.approved:
        return ToolDenied(denial(decision))
    changed = edits(decision, arguments)
    return ToolApproved(override_args=arguments | changed) if changed else ToolApproved()
