"""Every decision has a name: roles decide or not, decidedBy everywhere, the history, signed review links."""

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.clock import FrozenClock
from tests.asgi import local_client
from tests.conftest import AGENT_KEY, API_KEY, REVIEWER_KEY, TEST_KEYS, settings_for

Client = AsyncTestClient[Litestar]
AGENT = {"X-API-Key": AGENT_KEY}
REVIEWER = {"X-API-Key": REVIEWER_KEY}
ADMIN = {"X-API-Key": API_KEY}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def signed(redis_url: str, clock: FrozenClock) -> AsyncIterator[Client]:
    """An app with role keys and signed review links (the default once agent keys are configured)."""
    app = create_app(settings_for(redis_url, keys=TEST_KEYS, review_links="signed"), clock=clock)
    async with local_client(app) as test_client:
        yield test_client


async def create(client: Client, user_id: str, **extra: Any) -> dict[str, Any]:
    body = {"agentId": "payer-bot", "userId": user_id, "action": "Pay invoice", "context": {"amount": 7}} | extra
    answer = await client.post("/interrupts", json=body, headers=AGENT)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no decide form on the page"
    return found.group(1)


async def mint(client: Client, interrupt_id: str, reviewer: str, **extra: Any) -> dict[str, Any]:
    answer = await client.post(f"/interrupts/{interrupt_id}/review-links", json={"reviewer": reviewer} | extra,
                               headers=REVIEWER)  # fmt: skip
    assert answer.status_code == 201, answer.text
    link: dict[str, Any] = answer.json()
    return link


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_an_agent_key_cannot_decide_and_a_reviewer_key_is_named(auth_client: Client, user_id: str) -> None:
    interrupt_id = (await create(auth_client, user_id))["interruptId"]
    refused = await auth_client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"}, headers=AGENT)
    assert refused.status_code == 403
    assert refused.json()["error"] == "Forbidden" and "reviewer" in refused.json()["detail"]
    assert (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()["status"] == "pending"
    decided = await auth_client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"},
                                     headers=REVIEWER)  # fmt: skip
    assert set(decided.json()) == {"interruptId", "status", "decision", "decidedAt"}  # compat shape unchanged
    record = (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    assert record["decidedBy"] == "alice"
    late = await auth_client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected"}, headers=ADMIN)
    assert late.status_code == 409 and late.json()["current"]["decidedBy"] == "alice"


async def test_decided_by_is_absent_while_pending_and_after_a_cancel(auth_client: Client, user_id: str) -> None:
    interrupt_id = (await create(auth_client, user_id))["interruptId"]
    assert "decidedBy" not in (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    assert (await auth_client.delete(f"/interrupts/{interrupt_id}", headers=AGENT)).status_code == 200
    assert "decidedBy" not in (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()


async def test_history_lists_every_event_in_order_with_actor_and_channel(
    signed: Client, clock: FrozenClock, user_id: str
) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    clock.advance(1000)
    link = await mint(signed, interrupt_id, "carol@example.com")
    clock.advance(1000)
    page = (await signed.get(local(link["url"]))).text
    query = parse_qs(urlsplit(link["url"]).query)
    form = {"csrf": csrf_of(page), "decision": "rejected", "reason": "too much",
            "reviewer": query["reviewer"][0], "token": query["token"][0]}  # fmt: skip
    assert (await signed.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)).status_code == 303
    history = (await signed.get(f"/interrupts/{interrupt_id}/history", headers=AGENT)).json()
    assert history["interruptId"] == interrupt_id
    events = [(e["event"], e.get("actor"), e["channel"]) for e in history["events"]]
    assert events == [("created", "bot", "api"), ("review-link", "alice", "api"),
                      ("decided", "carol@example.com", "review-page")]  # fmt: skip
    assert history["events"][1]["detail"]["reviewer"] == "carol@example.com"
    assert history["events"][2]["detail"] == {"decision": "rejected", "reason": "too much"}
    times = [e["at"] for e in history["events"]]
    assert times == sorted(times) and len(set(times)) == 3


async def test_mcp_channel_is_recorded(auth_client: Client, user_id: str) -> None:
    body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}}
    made = await auth_client.post("/interrupts", json=body, headers=AGENT | {"X-Interlock-Channel": "mcp"})
    interrupt_id = made.json()["interruptId"]
    await auth_client.delete(f"/interrupts/{interrupt_id}", headers=AGENT | {"X-Interlock-Channel": "mcp"})
    events = (await auth_client.get(f"/interrupts/{interrupt_id}/history", headers=AGENT)).json()["events"]
    assert [(e["event"], e["actor"], e["channel"]) for e in events] == [("created", "bot", "mcp"),
                                                                        ("cancelled", "bot", "mcp")]  # fmt: skip


async def test_signed_mode_agent_review_url_shows_the_request_without_a_form(signed: Client, user_id: str) -> None:
    made = await create(signed, user_id)
    interrupt_id = made["interruptId"]
    page = await signed.get(urlsplit(made["reviewUrl"]).path)
    assert page.status_code == 200 and "Pay invoice" in page.text
    assert "<form" not in page.text and "Waiting for a reviewer" in page.text
    # a CSRF token scraped from a reviewer's page does not turn the agent's URL into a decider
    link = await mint(signed, interrupt_id, "carol@example.com")
    scraped = csrf_of((await signed.get(local(link["url"]))).text)
    posted = await signed.post(f"/review/{interrupt_id}/decide", data={"csrf": scraped, "decision": "approved"},
                               follow_redirects=False)  # fmt: skip
    assert posted.status_code == 403
    assert (await signed.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()["status"] == "pending"


async def test_a_minted_link_decides_as_its_reviewer(signed: Client, user_id: str) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    link = await mint(signed, interrupt_id, "carol@example.com", expiresIn=600)
    assert link["reviewer"] == "carol@example.com" and link["expiresAt"].endswith("Z")
    page = (await signed.get(local(link["url"]))).text
    assert "Deciding as <strong>carol@example.com</strong>" in page
    query = parse_qs(urlsplit(link["url"]).query)
    form = {"csrf": csrf_of(page), "decision": "approved", "reviewer": query["reviewer"][0], "token": query["token"][0]}
    assert (await signed.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)).status_code == 303
    record = (await signed.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    assert (record["status"], record["decidedBy"]) == ("approved", "carol@example.com")
    assert "by carol@example.com" in (await signed.get(f"/review/{interrupt_id}")).text


@pytest.mark.parametrize(
    "change",
    [
        lambda q: q | {"reviewer": "mallory@example.com"},
        lambda q: q | {"token": q["token"].replace(".review-page.", ".email.")},
        lambda q: q | {"token": q["token"][:-2] + ("AA" if not q["token"].endswith("AA") else "BB")},
        lambda q: q | {"token": "²." + q["token"].split(".", 1)[1]},
        lambda q: q | {"token": "garbage"},
        lambda q: q | {"token": "1.review-page.é"},
        lambda q: {"reviewer": q["reviewer"]},
        lambda q: {"token": q["token"]},
    ],
)
async def test_forged_or_altered_links_are_a_403_page(signed: Client, user_id: str, change: Any) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    link = await mint(signed, interrupt_id, "carol@example.com")
    good = {k: v[0] for k, v in parse_qs(urlsplit(link["url"]).query).items()}
    csrf = csrf_of((await signed.get(local(link["url"]))).text)
    forged = change(good)
    page = await signed.get(f"/review/{interrupt_id}", params=forged)
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    posted = await signed.post(f"/review/{interrupt_id}/decide", data={"csrf": csrf, "decision": "approved"} | forged,
                               follow_redirects=False)  # fmt: skip
    assert posted.status_code == 403
    assert (await signed.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()["status"] == "pending"


async def test_an_expired_link_is_refused(signed: Client, clock: FrozenClock, user_id: str) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    link = await mint(signed, interrupt_id, "carol@example.com", expiresIn=60)
    clock.advance(61_000)
    page = await signed.get(local(link["url"]))
    assert page.status_code == 403 and "expired" in page.text


async def test_review_links_validate_and_need_a_pending_interrupt(signed: Client, user_id: str) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    url = f"/interrupts/{interrupt_id}/review-links"
    for body, field in (({}, "reviewer"), ({"reviewer": ""}, "reviewer"), ({"reviewer": "a\nb"}, "reviewer"),
                        ({"reviewer": "a", "expiresIn": 5}, "expiresIn")):  # fmt: skip
        answer = await signed.post(url, json=body, headers=REVIEWER)
        assert answer.status_code == 400 and answer.json()["field"] == field, body
    assert (await signed.post(url, json={"reviewer": "a"}, headers=AGENT)).status_code == 403
    await signed.delete(f"/interrupts/{interrupt_id}", headers=AGENT)
    late = await signed.post(url, json={"reviewer": "a"}, headers=REVIEWER)
    assert late.status_code == 409 and late.json()["error"] == "Interrupt is already cancelled"


async def test_open_mode_names_the_link(auth_client: Client, user_id: str) -> None:
    made = await create(auth_client, user_id)
    interrupt_id = made["interruptId"]
    page = (await auth_client.get(f"/review/{interrupt_id}")).text
    form = {"csrf": csrf_of(page), "decision": "approved"}
    await auth_client.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)
    record = (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    assert record["decidedBy"] == "link"


async def test_an_inbox_decides_as_its_user(signed: Client, user_id: str) -> None:
    interrupt_id = (await create(signed, user_id))["interruptId"]
    inbox = await signed.post("/inbox-links", json={"userId": user_id}, headers=REVIEWER)
    assert (await signed.post("/inbox-links", json={"userId": user_id}, headers=AGENT)).status_code == 403
    listing = (await signed.get(local(inbox.json()["inboxUrl"]))).text
    href = re.search(rf'href="(/review/{interrupt_id}\?[^"]+)"', listing)
    assert href, listing
    target = href.group(1).replace("&amp;", "&")
    page = (await signed.get(target)).text
    query = parse_qs(urlsplit(target).query)
    form = {"csrf": csrf_of(page), "decision": "approved", "reviewer": query["reviewer"][0], "token": query["token"][0]}
    await signed.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)
    events = (await signed.get(f"/interrupts/{interrupt_id}/history", headers=AGENT)).json()["events"]
    assert (events[-1]["event"], events[-1]["actor"], events[-1]["channel"]) == ("decided", user_id, "inbox")


async def test_an_expiry_names_nobody(auth_client: Client, clock: FrozenClock, user_id: str) -> None:
    interrupt_id = (await create(auth_client, user_id, expiresIn=1))["interruptId"]
    clock.advance(1500)
    record = (await auth_client.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    assert record["status"] == "expired" and "decidedBy" not in record
    await auth_client.delete(f"/interrupts/{interrupt_id}", headers=AGENT)  # the write that records the expiry
    events = (await auth_client.get(f"/interrupts/{interrupt_id}/history", headers=AGENT)).json()["events"]
    assert [(e["event"], e.get("actor"), e["channel"]) for e in events] == [("created", "bot", "api"),
                                                                            ("expired", None, "worker")]  # fmt: skip
