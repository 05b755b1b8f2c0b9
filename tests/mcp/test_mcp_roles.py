"""MCP follows the roles: tools/list shows a key only what it may call, over stdio and streamable HTTP."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from mcp import Client

from tests.mcp.conftest import AGENT_KEY, KEY, REVIEWER_KEY, http_client, stdio_client
from tests.mcp.test_mcp_tools import ASK, text
from tests.processes import ServeProcess

pytestmark = pytest.mark.timeout(90)
REVIEWER_TOOLS = {"decide_interrupt", "list_pending_interrupts", "get_interrupt_analytics"}
AGENT_TOOLS = {"create_interrupt", "get_interrupt_status", "cancel_interrupt", "create_loop", "get_loop_status",
               "get_loop_result", "wait_for_decision"}  # fmt: skip
Open = Callable[[str], AbstractAsyncContextManager[Client]]


@pytest.fixture(params=["stdio", "http"])
def open_as(request: pytest.FixtureRequest, api: ServeProcess) -> Open:
    """Opens an MCP client with a given key over each transport."""
    make: Any = stdio_client if request.param == "stdio" else http_client
    return lambda key: make(api.url, key=key)


async def names(open_as: Open, key: str) -> set[str]:
    async with open_as(key) as mcp:
        return {tool.name for tool in (await mcp.list_tools()).tools}


async def test_an_agent_key_sees_no_reviewer_tool(open_as: Open) -> None:
    assert await names(open_as, AGENT_KEY) == AGENT_TOOLS


async def test_reviewer_and_admin_keys_see_every_tool(open_as: Open) -> None:
    assert await names(open_as, REVIEWER_KEY) == AGENT_TOOLS | REVIEWER_TOOLS
    assert await names(open_as, KEY) == AGENT_TOOLS | REVIEWER_TOOLS


async def test_calling_a_reviewer_tool_with_an_agent_key_is_a_403_tool_error(open_as: Open) -> None:
    async with open_as(AGENT_KEY) as agent:
        made = await agent.call_tool("create_interrupt", ASK)
        interrupt_id = made.structured_content["interruptId"]
        refused = await agent.call_tool("decide_interrupt", {"interruptId": interrupt_id, "decision": "approved"})
        assert refused.is_error and text(refused).startswith("HTTP 403") and "reviewer" in text(refused)
        status = await agent.call_tool("get_interrupt_status", {"interruptId": interrupt_id})
        assert status.structured_content["status"] == "pending"
    async with open_as(REVIEWER_KEY) as reviewer:
        decided = await reviewer.call_tool("decide_interrupt", {"interruptId": interrupt_id, "decision": "approved"})
        assert not decided.is_error, text(decided)
        status = await reviewer.call_tool("get_interrupt_status", {"interruptId": interrupt_id})
        assert status.structured_content["decidedBy"] == "rita"
