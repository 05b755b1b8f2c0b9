"""Strict JSON: NaN/Infinity, duplicate keys, invalid UTF-8 and deep nesting are 400s; pages show what is stored."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
JSON = {"Content-Type": "application/json"}
HEAD = b'{"agentId":"a","userId":"u-strict","action":"pay",'


def nested(levels: int) -> bytes:
    return b'{"d":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [(HEAD + b'"context":{"amount":1,"amount":1000}}', "amount", "twice"),
     (HEAD + b'"action":"other","context":{}}', "action", "twice"),
     (HEAD + b'"context":{"amount":NaN}}', None, "not finite"),
     (HEAD + b'"context":{"amount":-Infinity}}', None, "not finite"),
     (HEAD + b'"context":{"amount":1e400}}', None, "not finite"),
     (HEAD + b'"context":{"note":"\xff\xfe"}}', None, "UTF-8"),
     (HEAD + b'"context":' + nested(64) + b"}", None, "deeper than 64")],
)  # fmt: skip
async def test_create_refuses_json_a_reader_cannot_trust(
    client: Client, body: bytes, field: str | None, words: str
) -> None:
    answer = await client.post("/interrupts", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"]
    assert answer.json().get("field") == field
    assert (await client.get("/interrupts/pending/u-strict")).json() == []


async def test_nesting_up_to_64_levels_is_fine(client: Client) -> None:
    answer = await client.post("/interrupts", content=HEAD + b'"context":' + nested(63) + b"}", headers=JSON)
    assert answer.status_code == 201, answer.text


async def test_decide_and_loops_refuse_duplicates_too(client: Client) -> None:
    made = (await client.post("/interrupts", content=HEAD + b'"context":{}}', headers=JSON)).json()["interruptId"]
    decide = await client.post(f"/interrupts/{made}/decide", content=b'{"decision":"approved","decision":"rejected"}',
                               headers=JSON)  # fmt: skip
    assert decide.status_code == 400 and decide.json()["field"] == "decision"
    assert (await client.get(f"/interrupts/{made}")).json()["status"] == "pending"
    loop = await client.post(
        "/v1/loop/create",
        headers=JSON,
        content=b'{"loop_name":"a","loop_name":"b",'
        b'"loop_description":"","participants":["a@example.com"],"participant_timeout":1000}',
    )
    assert loop.status_code == 400 and loop.json()["success"] is False and loop.json()["field"] == "loop_name"


@pytest.mark.parametrize(("edited", "words"), [('{"amount": NaN}', "not finite"), ('{"a": 1, "a": 2}', "twice")])
async def test_the_review_form_refuses_untrustworthy_edits(client: Client, edited: str, words: str) -> None:
    made = (await client.post("/interrupts", content=HEAD + b'"context":{"amount":1}}', headers=JSON)).json()
    page = (await client.get(f"/review/{made['interruptId']}")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf, "decision": "approved", "modifiedParams": edited}
    answer = await client.post(f"/review/{made['interruptId']}/decide", data=form, follow_redirects=False)
    assert answer.status_code == 400 and words in answer.text
    assert (await client.get(f"/interrupts/{made['interruptId']}")).json()["status"] == "pending"


async def test_the_review_page_shows_values_exactly_as_stored(client: Client) -> None:
    context = b'{"big":123456789012345678901234567890,"f":1.50000000000000000001,"e":"\\u00e9t\\u00e9","s":"' + (
        b"x" * 5000
    ) + b'"}'  # fmt: skip
    made = (await client.post("/interrupts", content=HEAD + b'"context":' + context + b"}", headers=JSON)).json()
    page = await client.get(f"/review/{made['interruptId']}")
    assert page.status_code == 200
    assert "123456789012345678901234567890" in page.text and "1.50000000000000000001" in page.text
    assert "été" in page.text and "x" * 5000 in page.text
    read = await client.get(f"/interrupts/{made['interruptId']}")
    assert read.content.count(b"1.50000000000000000001") == 1  # the API returns it as stored too
