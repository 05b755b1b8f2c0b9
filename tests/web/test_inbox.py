"""The inbox: signed links (POST /inbox-links), the page's order, access by token, headers, escaping."""

import html
import re
import uuid
from collections.abc import AsyncGenerator
from urllib.parse import parse_qs, urlsplit

from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.clock import FrozenClock
from service.domain.models import Interrupt
from service.waiting.streams import Frame
from service.web.inbox import feed_messages
from service.web.inbox_feed import Kept
from tests.conftest import API_KEY
from tests.web.test_review_page import XSS, structure

Client = AsyncTestClient[Litestar]
KEY = {"X-API-Key": API_KEY}


def ask(user: str, action: str, urgency: str = "medium") -> dict[str, object]:
    """A create body for `user`."""
    return {"agentId": "bot", "userId": user, "action": action, "context": {}, "urgency": urgency}


async def link(client: Client, user: str, **extra: object) -> str:
    """A signed inbox path with its query, from POST /inbox-links."""
    answer = await client.post("/inbox-links", json={"userId": user, **extra}, headers=KEY)
    assert answer.status_code == 201, answer.text
    url = urlsplit(answer.json()["inboxUrl"])
    return f"{url.path}?{url.query}"


async def test_a_signed_link_opens_the_inbox_in_urgency_then_newest_order(
    auth_client: Client, user_id: str, clock: FrozenClock
) -> None:
    for action, urgency in [("old low", "low"), ("old high", "high"), ("medium one", "medium"), ("new high", "high")]:
        assert (
            await auth_client.post("/interrupts", json=ask(user_id, action, urgency), headers=KEY)
        ).status_code == 201
        clock.advance(1000)
    answer = await auth_client.post("/inbox-links", json={"userId": user_id}, headers=KEY)
    assert answer.status_code == 201
    assert answer.json()["inboxUrl"].startswith(f"http://localhost:3002/inbox/{user_id}?token=")
    page = await auth_client.get(await link(auth_client, user_id))
    assert page.status_code == 200
    assert re.findall(r'<span class="action">([^<]*)</span>', page.text) == [
        "new high",
        "old high",
        "medium one",
        "old low",
    ]
    assert "4 requests waiting" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert (page.headers["cache-control"], page.headers["x-robots-tag"]) == ("no-store", "noindex")
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/times.js" defer>',
        '<script src="/static/inbox.js" defer>',
    ]


async def test_decided_and_expired_requests_leave_the_inbox(
    auth_client: Client, user_id: str, clock: FrozenClock
) -> None:
    ids = []
    for action, expires in [("decide me", 3600), ("let me expire", 5), ("stay", 3600)]:
        body = ask(user_id, action) | {"expiresIn": expires}
        ids.append((await auth_client.post("/interrupts", json=body, headers=KEY)).json()["interruptId"])
    await auth_client.post(f"/interrupts/{ids[0]}/decide", json={"decision": "approved"}, headers=KEY)
    clock.advance(6000)
    page = await auth_client.get(await link(auth_client, user_id))
    assert re.findall(r'<span class="action">([^<]*)</span>', page.text) == ["stay"]


async def test_without_a_valid_token_the_inbox_is_forbidden(
    auth_client: Client, user_id: str, clock: FrozenClock
) -> None:
    signed = await link(auth_client, user_id, expiresIn=60)
    token = parse_qs(urlsplit(signed).query)["token"][0]
    other = await link(auth_client, "someone-else")
    forged = [
        f"/inbox/{user_id}",  # no token
        f"/inbox/{user_id}?token=123.abc",  # not ours
        f"/inbox/{user_id}?token={parse_qs(urlsplit(other).query)['token'][0]}",  # another user's
        f"/inbox/{user_id}?token={int(token.split('.')[0]) + 1}.{token.split('.')[1]}",  # expiry changed
    ]
    for path in forged:
        for target in (path, path.replace("/inbox/", "/inbox-events/")):  # the page and its feed
            answer = await auth_client.get(target)
            assert answer.status_code == 403, target
            assert "not valid" in answer.text or "needs the signed link" in answer.text
    clock.advance(61_000)
    expired = await auth_client.get(signed)
    assert expired.status_code == 403 and "expired" in expired.text


async def test_with_auth_off_the_inbox_is_open(client: Client, user_id: str) -> None:
    await client.post("/interrupts", json=ask(user_id, "open inbox"))
    page = await client.get(f"/inbox/{user_id}")
    assert page.status_code == 200 and "open inbox" in page.text
    empty = await client.get("/inbox/nobody-at-all")
    assert "Nothing is waiting for a decision." in empty.text


async def test_a_request_asking_a_typed_answer_says_so_in_the_inbox(client: Client, user_id: str) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}}}
    await client.post("/interrupts", json=ask(user_id, "with a form") | {"responseSchema": schema})
    await client.post("/interrupts", json=ask(user_id, "without"))
    page = (await client.get(f"/inbox/{user_id}")).text
    assert page.count("asks for 2 answers") == 1


async def test_a_typed_answer_is_given_from_the_inbox_as_its_user(auth_client: Client, user_id: str) -> None:
    schema = {"type": "object", "properties": {"memo": {"type": "string", "title": "Memo <@link@> <@href@>"}},
              "required": ["memo"]}  # fmt: skip
    bodies = [ask(user_id, f"pay <@link@> {n}") | {"responseSchema": schema} for n in range(2)]
    made = [(await auth_client.post("/interrupts", json=b, headers=KEY)).json()["interruptId"] for b in bodies]
    page = (await auth_client.get(await link(auth_client, user_id))).text
    forms = re.findall(r'<form method="post" action="/review/([^/]+)/decide"[^>]*>(.*?)</form>', page, re.S)
    assert sorted(i for i, _ in forms) == sorted(made)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and f'for="{made[0]}-answer-1"' in page  # two forms, no id twice
    interrupt_id, form = forms[0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert set(hidden) == {"csrf", "reviewer", "token"} and hidden["reviewer"] == user_id
    assert "&lt;@link@&gt;" in form and "<@" not in page  # a slot's name in the request stays text
    sent = {k: html.unescape(v) for k, v in hidden.items()} | {"decision": "approved", "answer.memo": "paid"}
    decided = await auth_client.post(f"/review/{interrupt_id}/decide", data=sent, follow_redirects=False)
    assert decided.status_code == 303
    record = (await auth_client.get(f"/interrupts/{interrupt_id}", headers=KEY)).json()
    assert (record["status"], record["decidedBy"], record["response"]) == ("approved", user_id, {"memo": "paid"})
    lines = re.findall(r'<li data-id="([^"]+)">', (await auth_client.get(await link(auth_client, user_id))).text)
    assert lines == [i for i in made if i != interrupt_id]


async def test_link_requests_are_validated_and_need_the_key(auth_client: Client) -> None:
    assert (await auth_client.post("/inbox-links", json={"userId": "u"})).status_code == 401
    cases = [
        ({}, "userId"),
        ({"userId": ""}, "userId"),
        ({"userId": 5}, "userId"),
        ({"userId": "u", "expiresIn": 10}, "expiresIn"),
        ({"userId": "u", "expiresIn": "1d"}, "expiresIn"),
    ]
    for body, field in cases:
        answer = await auth_client.post("/inbox-links", json=body, headers=KEY)
        assert answer.status_code == 400, body
        assert answer.json()["field"] == field and field in answer.json()["error"]
    bad = await auth_client.post("/inbox-links", content=b"{", headers=KEY | {"content-type": "application/json"})
    assert bad.status_code == 400


async def test_agent_supplied_strings_are_escaped_in_the_inbox(client: Client, user_id: str) -> None:
    benign_user, hostile_user = f"{user_id}-benign", f"{user_id}-hostile"
    for payload in XSS:
        for user, text in ((benign_user, "plain text"), (hostile_user, payload)):
            body = {"agentId": text, "userId": user, "action": text, "context": {}}
            assert (await client.post("/interrupts", json=body)).status_code == 201
    benign = (await client.get(f"/inbox/{benign_user}")).text
    hostile = (await client.get(f"/inbox/{hostile_user}")).text
    assert len(re.findall(r"<li ", hostile)) == len(XSS)
    assert structure(hostile) == structure(benign)  # the same elements and attributes: nothing injected


class CountingView:
    """A stand-in view that renders counts (the feed's rules, not the HTML, are under test)."""

    def __init__(self, ends_at: int | None) -> None:
        self.user_id = "u"
        self.ends_at = ends_at
        self.links_until = ends_at or 0

    async def whole(self, records: list[Interrupt]) -> str:
        return f"{len(records)} items"

    async def line(self, record: Interrupt) -> str:
        return record.id

    def head(self, count: int) -> str:
        return f"{count} waiting"


async def test_an_open_feed_ends_once_its_link_expires(clock: FrozenClock) -> None:
    ends_at = clock.now_ms() + 60_000
    closed = []

    async def frames() -> AsyncGenerator[Frame[list[Interrupt]], None]:
        try:
            yield Frame(1, [])
            clock.advance(61_000)  # the link expires while the feed is open
            while True:
                yield Frame()  # pings
        finally:
            closed.append(True)

    sent = [message async for message in feed_messages(frames(), CountingView(ends_at), clock, None, Kept())]
    first, last = (m.decode() for m in sent)
    assert len(sent) == 2 and "event: inbox\r\n" in first and "retry: 3000\r\n" in first  # the reconnect hint
    assert (last.startswith(": the inbox link has expired\r\n")) and "retry" not in last
    assert closed == [True]  # the list feed is closed with it (its watch is released)


async def test_a_user_id_with_slashes_has_a_working_inbox(auth_client: Client) -> None:
    user = f"team/{uuid.uuid4()}/alice"
    await auth_client.post("/interrupts", json=ask(user, "slash user"), headers=KEY)
    url = await link(auth_client, user)
    assert f"/inbox/{user}?" in url  # slashes kept as they are: no %2F for a proxy to refuse
    page = await auth_client.get(url.removeprefix("http://localhost:3002"))
    assert page.status_code == 200 and "slash user" in page.text
    feed = re.search(r'data-inbox-events="([^"]+)"', page.text)
    assert feed and feed.group(1).startswith(f"/inbox-events/{user}?token=")
