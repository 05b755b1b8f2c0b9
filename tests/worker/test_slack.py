"""Slack end to end: the worker posts through slack_sdk to a local stand-in of the Web API, signed clicks decide.

The stand-in records every call; interaction requests are signed the way Slack signs them, and
forged, stale and replayed ones are refused.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings
from tests.asgi import local_client
from tests.receivers import running
from tests.slack_standin import CHANNEL_ID, SIGNING_SECRET, TOKEN, SlackStandIn, click, sign
from tests.worker.conftest import worker_running

Client = AsyncTestClient[Litestar]
ASK = {"agentId": "deploy-bot", "userId": "ops", "action": "Ship <2.0> & tag it", "context": {"tag": "v2.0"},
       "slackChannel": "#approvals"}  # fmt: skip


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    async with running(SlackStandIn()) as found:
        yield found


@pytest.fixture
def slack_settings(worker_settings: Settings, standin: SlackStandIn) -> Settings:
    return msgspec.structs.replace(worker_settings, slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET,
                                   slack_api_url=standin.url)  # fmt: skip


@pytest.fixture
async def slack_api(slack_settings: Settings) -> AsyncIterator[Client]:
    async with local_client(create_app(slack_settings)) as client:
        yield client


async def created(api: Client, **extra: Any) -> str:
    made = await api.post("/interrupts", json=ASK | extra)
    assert made.status_code == 201, made.text
    interrupt_id: str = made.json()["interruptId"]
    return interrupt_id


async def recorded(api: Client, interrupt_id: str, action: str) -> dict[str, Any]:
    """The first `slack` history event of `action` (posted, updated), once there is one (polled; the test's timeout)."""
    while True:
        events = (await api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
        found = [e["detail"] for e in events if e["event"] == "slack" and e["detail"]["action"] == action]
        if found:
            first: dict[str, Any] = found[0]
            return first
        await asyncio.sleep(0.02)


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every text of a message's blocks, joined (what a reader sees)."""
    found = []
    for block in blocks:
        found += [block.get("text", {}).get("text", "")] + [f["text"] for f in block.get("fields", [])]
        found += [e.get("text", "") if isinstance(e.get("text"), str) else e.get("text", {}).get("text", "")
                  for e in block.get("elements", [])]  # fmt: skip
    return "\n".join(found)


@pytest.mark.timeout(60)
async def test_a_click_in_slack_decides_as_the_slack_user_and_the_message_shows_the_outcome(
    slack_api: Client, slack_settings: Settings, standin: SlackStandIn
) -> None:
    interrupt_id = await created(slack_api)
    async with worker_running(slack_settings):
        [posted] = await standin.wait_for("chat.postMessage", 1)
        assert posted["channel"] == "#approvals" and posted["text"] == "Approval requested: Ship <2.0> & tag it"
        header, facts, context, actions = posted["blocks"]
        assert header["text"]["text"] == "Ship <2.0> & tag it"  # plain text: no escaping needed
        assert "deploy-bot" in texts([facts]) and "&lt;" not in texts([header])
        assert '"tag": "v2.0"' in context["text"]["text"]
        buttons = {e["action_id"]: e for e in actions["elements"]}
        assert buttons["interlock_approve"]["value"] == buttons["interlock_reject"]["value"] == interrupt_id
        assert buttons["interlock_open"]["url"] == f"{slack_settings.base_url}/review/{interrupt_id}"
        await recorded(slack_api, interrupt_id, "posted")
        body, headers = sign(click(interrupt_id, "interlock_approve"))
        answer = await slack_api.post("/slack/interactions", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        [updated] = await standin.wait_for("chat.update", 1)
    record = (await slack_api.get(f"/interrupts/{interrupt_id}")).json()
    assert (record["status"], record["decidedBy"]) == ("approved", "alice (Slack U024BE7LH)")
    assert (updated["channel"], updated["ts"]) == (CHANNEL_ID, "1700000000.000001")
    assert "Approved by alice (Slack U024BE7LH)" in texts(updated["blocks"])
    assert "interlock_approve" not in str(updated["blocks"])  # the outcome replaces the buttons
    replay = await slack_api.post("/slack/interactions", content=body, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["error"]
    events = (await slack_api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
    seen = [(e["event"], e["channel"], (e.get("detail") or {}).get("action")) for e in events]
    assert seen == [("created", "api", None), ("slack", "slack", "posted"), ("decided", "slack", None),
                    ("slack", "slack", "updated")]  # fmt: skip
    page = (await slack_api.get(f"/review/{interrupt_id}")).text
    for said in ("Posted to Slack (#approvals)", "Approved by alice (Slack U024BE7LH) through Slack",
                 "Slack message updated with the outcome"):  # fmt: skip
        assert said in page, said


@pytest.mark.timeout(60)
async def test_forged_stale_and_unsigned_interactions_are_refused_and_change_nothing(slack_api: Client) -> None:
    interrupt_id = await created(slack_api)
    payload = click(interrupt_id, "interlock_approve")
    forged = sign(payload, secret="not-the-signing-secret")
    stale = sign(payload, at=time.time() - 6 * 60)
    unsigned = sign(payload)[0], {"content-type": "application/x-www-form-urlencoded"}
    tampered_body, tampered_headers = sign(click(interrupt_id, "interlock_reject"))
    for body, headers in (forged, stale, unsigned, (tampered_body.replace(b"reject", b"approve"), tampered_headers)):
        refused = await slack_api.post("/slack/interactions", content=body, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["type"] == "urn:interlock:problem:unauthorized"
    assert (await slack_api.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"


@pytest.mark.timeout(60)
async def test_slack_down_loses_nothing_and_a_decision_made_elsewhere_updates_the_message(
    slack_api: Client, slack_settings: Settings, standin: SlackStandIn
) -> None:
    standin.failures["chat.postMessage"] = 2  # Slack answers 503 twice: retried on the (scaled) mail schedule
    standin.failures["chat.update"] = 1
    interrupt_id = await created(slack_api)
    async with worker_running(slack_settings):
        await standin.wait_for("chat.postMessage", 1)
        await slack_api.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected", "reason": "not now"})
        [updated] = await standin.wait_for("chat.update", 1)
    assert "Rejected by anonymous" in texts(updated["blocks"]) and "not now" in texts(updated["blocks"])
    events = (await slack_api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
    steps = [(e["detail"]["action"], e["detail"]["state"]) for e in events if e["event"] == "slack"]
    assert steps == [("posted", "retrying"), ("posted", "retrying"), ("posted", "sent"), ("updated", "retrying"),
                     ("updated", "sent")]  # fmt: skip


@pytest.mark.timeout(60)
async def test_an_expiry_updates_the_message_and_an_unknown_channel_fails_at_once(
    slack_api: Client, slack_settings: Settings, standin: SlackStandIn
) -> None:
    expiring = await created(slack_api, expiresIn=1)
    nowhere = await created(slack_api, slackChannel="#nowhere")
    async with worker_running(slack_settings):
        [updated] = await standin.wait_for("chat.update", 1)
        failed = await recorded(slack_api, nowhere, "posted")
    assert "Expired undecided" in texts(updated["blocks"]) and expiring in str(updated["blocks"])
    assert (failed["state"], failed["error"], failed["attempt"]) == ("failed", "channel_not_found", 1)


async def test_without_slack_configured_a_slack_channel_is_refused_and_the_route_is_absent(api: Client) -> None:
    refused = await api.post("/interrupts", json=ASK)
    assert refused.status_code == 400 and refused.json()["field"] == "slackChannel"
    body, headers = sign(click("x", "interlock_approve"))
    assert (await api.post("/slack/interactions", content=body, headers=headers)).status_code == 404
