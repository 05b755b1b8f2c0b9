"""The inbox's live feed over real processes: arrivals, decisions and expiries pushed without polling."""

import asyncio
import html
import json
import re
import uuid

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.inbox_model import InboxModel
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
        shown = InboxModel()

        async def next_list() -> tuple[int, str]:
            async for event in events:
                if event.event == "inbox":
                    shown.apply(json.loads(event.data))
                    return shown.count, shown.text
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


@pytest.mark.timeout(60)
async def test_a_pages_feed_sends_changes_never_the_list_again(two_apis: list[ServeProcess]) -> None:
    page_api, agent_api = two_apis
    user = f"inbox-{uuid.uuid4()}"
    ask = {"agentId": "bot", "userId": user, "context": {}}
    urgencies = ["low", "medium", "high"]
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(3):
            await http.post(f"{agent_api.url}/interrupts", json=ask | {"action": f"old {n}", "urgency": urgencies[n]})
        page = (await http.get(f"{page_api.url}/inbox/{user}")).text
        feed = html.unescape(re.search(r'data-inbox-events="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        shown = InboxModel(page)
        assert len(shown.ids) == 3 and "since=" in feed
        sent: list[dict[str, object]] = []
        async with aconnect_sse(http, "GET", f"{page_api.url}{feed}") as source:
            events = source.aiter_sse()
            async for event in events:
                if event.event == "inbox":
                    sent.append(json.loads(event.data))
                    break
            for n in range(20):  # a burst, in every urgency: lines land in the middle, at the top, at the end
                body = ask | {"action": f"new {n}", "urgency": urgencies[n % 3]}
                assert (await http.post(f"{agent_api.url}/interrupts", json=body)).status_code == 201
            async for event in events:
                if event.event == "inbox":
                    sent.append(json.loads(event.data))
                    shown.apply(sent[-1])
                    if shown.count == 23:
                        break
        assert all("html" not in data for data in sent)  # the page had the list; the feed only changed it
        assert sum(len(data["add"]) for data in sent) == 20  # type: ignore[arg-type]
        fresh = InboxModel((await http.get(f"{page_api.url}/inbox/{user}")).text)
    assert shown.ids == fresh.ids and shown.text.count("<a ") == 23  # the same lines, in the same order
