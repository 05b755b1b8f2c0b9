"""Hostile values where the code parses text: never a 500, always the documented refusal."""

import base64
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import API_KEY, REVIEWER_KEY

Client = AsyncTestClient[Litestar]
ADMIN = {"X-API-Key": API_KEY}
BODY = {"agentId": "a", "userId": "u-hostile", "action": "x", "context": {}}


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [cursor("nan|00000000-0000-4000-8000-000000000000"), cursor("inf|00000000-0000-4000-8000-000000000000"),
     cursor("1_000|00000000-0000-4000-8000-000000000000"), cursor(" 1|00000000-0000-4000-8000-000000000000"),
     "garbage!", "é", "²", cursor("1|not-an-id"), ""],
)  # fmt: skip
async def test_forged_cursors_are_400(auth_client: Client, value: str, user_id: str) -> None:
    for path in (f"/interrupts/pending/{user_id}", "/deliveries?state=failed"):
        sep = "&" if "?" in path else "?"
        answer = await auth_client.get(f"{path}{sep}cursor={value}", headers=ADMIN)
        assert answer.status_code in ((400,) if value else (200,)), (path, value, answer.text)
        if value:
            assert answer.json()["field"] == "cursor"


@pytest.mark.parametrize("token", ["²", "é.abc", "1.²", "١٢٣.x", "9" * 400, "1." + "\u00e9" * 50])
async def test_non_ascii_page_tokens_are_403_pages(auth_client: Client, token: str, user_id: str) -> None:
    inbox = await auth_client.get(f"/inbox/{user_id}", params={"token": token})
    assert inbox.status_code == 403 and "text/html" in inbox.headers["content-type"]
    made = (await auth_client.post("/interrupts", json=BODY, headers=ADMIN)).json()["interruptId"]
    form = {"csrf": token, "decision": "approved"}
    posted = await auth_client.post(f"/review/{made}/decide", data=form, follow_redirects=False)
    assert posted.status_code == 403
    page = await auth_client.get(f"/review/{made}", params={"reviewer": "r", "token": token})
    assert page.status_code == 403


@pytest.mark.parametrize("last_id", ["²", "\u0661", "-1", "1e3", "9" * 40, "x"])
async def test_odd_last_event_ids_are_ignored(auth_client: Client, last_id: str) -> None:
    made = (await auth_client.post("/interrupts", json=BODY, headers=ADMIN)).json()["interruptId"]
    await auth_client.post(f"/interrupts/{made}/decide", json={"decision": "approved"}, headers=ADMIN)
    headers = {b"X-API-Key": API_KEY.encode(), b"Last-Event-ID": last_id.encode()}  # as raw bytes, as a client may
    answer = await auth_client.get(f"/interrupts/{made}/events", headers=headers)
    assert answer.status_code == 200 and "event: approved" in answer.text


async def test_next_page_links_use_the_public_base_url(auth_client: Client, user_id: str) -> None:
    for _ in range(3):
        await auth_client.post("/interrupts", json=BODY | {"userId": user_id}, headers=ADMIN)
    headers: dict[str, Any] = {"X-API-Key": REVIEWER_KEY, "Host": "localhost:9999"}
    answer = await auth_client.get(f"/interrupts/pending/{user_id}?limit=2", headers=headers)
    link = answer.headers["link"]
    assert link.startswith(f"<http://localhost:3002/interrupts/pending/{user_id}?limit=2&cursor=")
    assert "9999" not in link


@pytest.mark.parametrize("bad", ["a\r\nb", "a\nb", "tab\there", "x" * 257, "\x00"])
async def test_user_ids_must_be_printable_and_bounded(auth_client: Client, bad: str) -> None:
    made = await auth_client.post("/interrupts", json=BODY | {"userId": bad}, headers=ADMIN)
    assert made.status_code == 400 and made.json()["field"] == "userId"
    for path in ("/interrupts/pending/", "/analytics/"):
        answer = await auth_client.get(path + quote(bad, safe=""), headers=ADMIN)
        assert answer.status_code == 400 and answer.json()["field"] == "userId", (path, answer.text)
    link = await auth_client.post("/inbox-links", json={"userId": bad}, headers=ADMIN)
    assert link.status_code == 400 and link.json()["field"] == "userId"
