"""The inbox's live feed over real processes: arrivals, decisions and expiries pushed without polling."""

import asyncio
import json
import uuid

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.processes import ServeProcess


@pytest.mark.timeout(60)
async def test_inbox_feed_follows_arrivals_decisions_and_expiries(two_apis: list[ServeProcess]) -> None:
    page_api, agent_api = two_apis
    user = f"inbox-{uuid.uuid4()}"
    ask = {"agentId": "bot", "userId": user, "context": {}}
    async with (
        httpx.AsyncClient(timeout=30) as http,
        aconnect_sse(http, "GET", f"{page_api.url}/inbox-events/{user}") as source,
    ):
        events = source.aiter_sse()

        async def next_list() -> tuple[int, str]:
            async for event in events:
                if event.event == "inbox":
                    data = json.loads(event.data)
                    return data["count"], data["html"]
            raise AssertionError("the inbox stream ended")

        assert (await next_list())[0] == 0
        first = (await http.post(f"{agent_api.url}/interrupts", json=ask | {"action": "Pay invoice 7"})).json()
        count, html = await next_list()
        assert count == 1 and "Pay invoice 7" in html and f"/review/{first['interruptId']}" in html
        quick = ask | {"action": "Quick one", "urgency": "high", "expiresIn": 1}
        await http.post(f"{agent_api.url}/interrupts", json=quick)
        count, html = await next_list()
        assert count == 2 and html.index("Quick one") < html.index("Pay invoice 7")  # most urgent first
        decided = await http.post(
            f"{agent_api.url}/interrupts/{first['interruptId']}/decide", json={"decision": "approved"}
        )
        assert decided.status_code == 200
        count, html = await next_list()
        assert count == 1 and "Pay invoice 7" not in html
        count, html = await asyncio.wait_for(next_list(), 10)  # the 1 s deadline passes: no publish needed
        assert count == 0 and "Nothing is waiting" in html
