"""LangGraph: a node asks with `interrupt(approval_request(...))`, and the graph resumes with the human's decision.

LangGraph's own idiom: the node calls `interrupt()` (the graph pauses at a checkpoint), and a
`Command(resume=…)` continues it. `run_with_approvals` drives a graph to the end, asking Interlock
about every pending approval request and resuming with each answer:

    def pay(state):
        answer = interrupt(approval_request("Pay invoice INV-7", {"amount": state["amount"]}))
        if not answer["approved"]:
            return {"result": f"not paid: {answer['reason']}"}
        amount = answer["params"]["amount"]  # the reviewer may have edited it
        ...

The answer is a plain dict (it is stored in the checkpoint): `approved`, `status`, `decision`,
`reason`, `decided_by`, `params` (what was asked with the reviewer's edits applied) and
`interrupt_id` (Interlock's). Each request's Interlock interrupt is keyed by the thread and
LangGraph's interrupt id, so a driver restarted mid-wait finds the same one instead of asking twice.
"""

import asyncio
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import Command, Interrupt

from interlock_client.aio import AsyncInterlock
from interlock_client.calls import edits
from interlock_client.models import Decision
from interlock_client.protocol import DEFAULT_EXPIRES_IN, DEFAULT_URGENCY

KIND = "interlock.approval"


def approval_request(action: str, context: dict[str, Any], *, urgency: str = DEFAULT_URGENCY) -> dict[str, Any]:
    """The value to pass to `interrupt()` for a human's approval of `action`."""
    return {"kind": KIND, "action": action, "context": context, "urgency": urgency}


def answer(decision: Decision, context: dict[str, Any]) -> dict[str, Any]:
    """What `interrupt()` returns to the node once the human decided."""
    return {
        "approved": decision.approved, "status": decision.status, "decision": decision.decision,
        "reason": decision.reason, "decided_by": decision.decided_by, "interrupt_id": decision.id,
        "params": context | edits(decision, context) if decision.approved else context,
    }  # fmt: skip


async def decisions(
    graph: Pregel[Any, Any], config: RunnableConfig, client: AsyncInterlock, *, user_id: str, agent_id: str,
    expires_in: float = DEFAULT_EXPIRES_IN,
) -> Command[Any] | None:  # fmt: skip
    """The `Command` resuming every pending approval request of the thread with its decision (None: none pending)."""
    pending = [i for i in (await graph.aget_state(config)).interrupts if _is_request(i)]
    if not pending:
        return None
    thread = str(config.get("configurable", {}).get("thread_id", ""))

    async def decide(request: Interrupt) -> dict[str, Any]:
        asked = request.value
        decision = await client.ask(
            asked["action"], context=asked["context"], user_id=user_id, agent_id=agent_id, urgency=asked["urgency"],
            expires_in=expires_in, idempotency_key=f"langgraph:{thread}:{request.id}"[:255],
        )  # fmt: skip
        return answer(decision, asked["context"])

    answers = await asyncio.gather(*(decide(request) for request in pending))
    return Command(resume={request.id: given for request, given in zip(pending, answers, strict=True)})


async def run_with_approvals(
    graph: Pregel[Any, Any], graph_input: Any, config: RunnableConfig, client: AsyncInterlock, *, user_id: str,
    agent_id: str, expires_in: float = DEFAULT_EXPIRES_IN,
) -> Any:  # fmt: skip
    """Run the graph (it needs a checkpointer) until it ends, resuming after each round of approvals."""
    result = await graph.ainvoke(graph_input, config)
    while (resume := await decisions(graph, config, client, user_id=user_id, agent_id=agent_id,
                                     expires_in=expires_in)) is not None:  # fmt: skip
        result = await graph.ainvoke(resume, config)
    return result


def _is_request(pending: Interrupt) -> bool:
    return isinstance(pending.value, dict) and pending.value.get("kind") == KIND
