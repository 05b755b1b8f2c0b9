"""The agent-framework bridges: a real run of each framework, driven by its own fake model, against a real serve."""

import asyncio
import uuid
from typing import Any, TypedDict

import pytest
from agents import Agent, function_tool, set_tracing_disabled
from agents.testing.model import ScriptedModel, assistant_message, function_call
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import AgentRunResult
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import DeferredToolRequests

from interlock_client import AsyncInterlock
from interlock_client.bridges import langgraph as lg
from interlock_client.bridges import openai_agents as oa
from interlock_client.bridges.pydantic_ai import InterlockApprovals
from tests.client.conftest import Reviewer, agent_args
from tests.processes import ServeProcess

pytestmark = pytest.mark.timeout(60)
set_tracing_disabled(True)  # no trace export (it would need an OpenAI key and the internet)


async def decide_first(reviewer: Reviewer, user: str, decision: str, **extra: Any) -> str:
    """Decide `user`'s first pending interrupt once it is asked; its id."""
    interrupt_id = await asyncio.to_thread(reviewer.first_pending, user)
    await asyncio.to_thread(reviewer.decide, interrupt_id, decision, **extra)
    return interrupt_id


def asked_count(reviewer: Reviewer, user: str) -> int:
    """How many interrupts `user` was ever asked (their analytics)."""
    return int(reviewer.http.get(f"/analytics/{user}").json()["totalInterrupts"])


# pydantic-ai: requires_approval tools, resolved inline by the capability


def pydantic_agent(ran: list[tuple[str, float]]) -> PydanticAgent[None, str]:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returned = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
        if returned:  # the tool's result (or its denial) is the final answer
            return ModelResponse(parts=[TextPart(str(returned[-1].content))])
        return ModelResponse(parts=[ToolCallPart("pay", {"invoice": "INV-7", "amount": 120.0}, tool_call_id="c1")])

    agent = PydanticAgent(FunctionModel(model))

    @agent.tool_plain(requires_approval=True)
    def pay(invoice: str, amount: float) -> str:
        """Pay an invoice."""
        ran.append((invoice, amount))
        return f"paid {invoice}: {amount}"

    return agent


@pytest.mark.parametrize(
    ("decision", "extra", "answer", "paid"),
    [("approved", {"modifiedParams": {"invoice": "INV-7", "amount": 100.0}}, "paid INV-7: 100.0", [("INV-7", 100.0)]),
     ("rejected", {"reason": "duplicate"}, "rejected this call: duplicate", [])],
)  # fmt: skip
async def test_pydantic_ai_runs_the_tool_only_as_approved(
    api: ServeProcess, reviewer: Reviewer, user: str, decision: str, extra: dict[str, Any], answer: str,
    paid: list[tuple[str, float]],
) -> None:  # fmt: skip
    ran: list[tuple[str, float]] = []
    async with AsyncInterlock(**agent_args(api)) as il:
        approvals = InterlockApprovals(il, user_id=user, agent_id="pydantic-bot")
        run = asyncio.create_task(pydantic_agent(ran).run("pay INV-7", capabilities=[approvals.capability()]))
        interrupt_id = await decide_first(reviewer, user, decision, **extra)
        result = await asyncio.wait_for(run, 30)
        assert (await il.get(interrupt_id)).action == "pay(invoice='INV-7', amount=120.0)"
    assert answer in result.output and ran == paid


async def test_pydantic_ai_deferred_requests_get_results_for_the_next_run(
    api: ServeProcess, reviewer: Reviewer, user: str
) -> None:
    ran: list[tuple[str, float]] = []
    agent = pydantic_agent(ran)
    first: AgentRunResult[str | DeferredToolRequests] = await agent.run(
        "pay INV-7", output_type=[str, DeferredToolRequests]
    )
    assert isinstance(first.output, DeferredToolRequests) and ran == []
    async with AsyncInterlock(**agent_args(api)) as il:
        approvals = InterlockApprovals(il, user_id=user, agent_id="pydantic-bot")
        results = asyncio.create_task(approvals.results(first.output))
        await decide_first(reviewer, user, "approved")
        answered = await asyncio.wait_for(results, 30)
    second: AgentRunResult[str | DeferredToolRequests] = await agent.run(
        message_history=first.all_messages(), deferred_tool_results=answered, output_type=[str, DeferredToolRequests]
    )
    assert second.output == "paid INV-7: 120.0" and ran == [("INV-7", 120.0)]
    assert answered.answered_by == {"c1": "alice"}


# LangGraph: interrupt() in a node, resumed with Command(resume=...)


class PayState(TypedDict, total=False):
    amount: float
    result: str


def pay_graph() -> Any:
    def pay(state: PayState) -> PayState:
        answer = interrupt(lg.approval_request("Pay invoice INV-7", {"amount": state["amount"]}, urgency="high"))
        if not answer["approved"]:
            return {"result": f"not paid ({answer['status']}): {answer['reason']} by {answer['decided_by']}"}
        return {"result": f"paid {answer['params']['amount']} (approved by {answer['decided_by']})"}

    builder = StateGraph(PayState)
    builder.add_node("pay", pay)
    builder.add_edge(START, "pay")
    builder.add_edge("pay", END)
    return builder.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize(
    ("decision", "extra", "result"),
    [("approved", {"modifiedParams": {"amount": 99}}, "paid 99 (approved by alice)"),
     ("rejected", {"reason": "over budget"}, "not paid (rejected): over budget by alice")],
)  # fmt: skip
async def test_langgraph_resumes_with_the_humans_decision(
    api: ServeProcess, reviewer: Reviewer, user: str, decision: str, extra: dict[str, Any], result: str
) -> None:
    graph = pay_graph()
    config: Any = {"configurable": {"thread_id": str(uuid.uuid4())}}
    async with AsyncInterlock(**agent_args(api)) as il:
        run = asyncio.create_task(lg.run_with_approvals(graph, {"amount": 120.0}, config, il, user_id=user,
                                                        agent_id="graph-bot"))  # fmt: skip
        interrupt_id = await decide_first(reviewer, user, decision, **extra)
        final = await asyncio.wait_for(run, 30)
        asked = await il.get(interrupt_id)
    assert final["result"] == result
    assert (asked.action, asked.context, asked.urgency) == ("Pay invoice INV-7", {"amount": 120.0}, "high")


async def test_a_restarted_langgraph_driver_finds_the_same_interlock_interrupt(
    api: ServeProcess, reviewer: Reviewer, user: str
) -> None:
    graph = pay_graph()
    config: Any = {"configurable": {"thread_id": str(uuid.uuid4())}}
    await graph.ainvoke({"amount": 5.0}, config)  # paused at the interrupt
    async with AsyncInterlock(**agent_args(api)) as il:
        crashed = asyncio.create_task(lg.decisions(graph, config, il, user_id=user, agent_id="graph-bot"))
        first = await asyncio.to_thread(reviewer.first_pending, user)
        crashed.cancel()  # the driver dies while waiting
        again = asyncio.create_task(lg.decisions(graph, config, il, user_id=user, agent_id="graph-bot"))
        await asyncio.to_thread(reviewer.decide, first, "approved")
        resume = await asyncio.wait_for(again, 30)
    assert resume is not None and asked_count(reviewer, user) == 1  # asked once, not twice
    assert (await graph.ainvoke(resume, config))["result"] == "paid 5.0 (approved by alice)"


# OpenAI Agents SDK: needs_approval tools, interruptions approved or rejected on the run state


def openai_agent(ran: list[tuple[str, float]], *script: Any) -> Agent[Any]:
    @function_tool(needs_approval=True)
    def pay(invoice: str, amount: float) -> str:
        """Pay an invoice."""
        ran.append((invoice, amount))
        return f"paid {invoice}: {amount}"

    return Agent(name="payer", model=ScriptedModel(list(script)), tools=[pay])


async def test_openai_agents_run_an_approved_call_and_report_a_rejection(
    api: ServeProcess, reviewer: Reviewer, user: str
) -> None:
    ran: list[tuple[str, float]] = []
    agent = openai_agent(ran, [function_call("pay", {"invoice": "A", "amount": 1.0}, call_id="c1")],
                         [function_call("pay", {"invoice": "B", "amount": 2.0}, call_id="c2")],
                         [assistant_message("done")])  # fmt: skip
    async with AsyncInterlock(**agent_args(api)) as il:
        run = asyncio.create_task(oa.run_with_approvals(agent, "pay A and B", il, user_id=user, agent_id="oa-bot"))
        await decide_first(reviewer, user, "approved")
        await decide_first(reviewer, user, "rejected", reason="B is paid already")
        result = await asyncio.wait_for(run, 30)
    assert result.final_output == "done" and ran == [("A", 1.0)]
    outputs = [str(item.output) for item in result.new_items if getattr(item, "type", "") == "tool_call_output_item"]
    assert any("rejected this call: B is paid already" in out for out in outputs), outputs


async def test_openai_agents_edited_arguments_are_run_as_approved_without_asking_twice(
    api: ServeProcess, reviewer: Reviewer, user: str
) -> None:
    ran: list[tuple[str, float]] = []
    agent = openai_agent(ran, [function_call("pay", {"invoice": "A", "amount": 10.0}, call_id="c1")],
                         [function_call("pay", {"invoice": "A", "amount": 8.0}, call_id="c2")],  # the model complies
                         [assistant_message("done")])  # fmt: skip
    async with AsyncInterlock(**agent_args(api)) as il:
        run = asyncio.create_task(oa.run_with_approvals(agent, "pay A", il, user_id=user, agent_id="oa-bot"))
        await decide_first(reviewer, user, "approved", modifiedParams={"invoice": "A", "amount": 8.0})
        result = await asyncio.wait_for(run, 30)
    assert result.final_output == "done" and ran == [("A", 8.0)] and asked_count(reviewer, user) == 1
