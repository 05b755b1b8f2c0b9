"""The review page without JavaScript: render, decide by form (CSRF), edits, errors, forgery, headers, XSS."""

import re
from html.parser import HTMLParser
from typing import Any

import markupsafe
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.clock import FrozenClock
from tests.conftest import API_KEY

Client = AsyncTestClient[Litestar]
BODY = {"agentId": "payer-bot", "userId": "alice", "action": "Pay invoice INV-42", "context": {"amount": 120},
        "urgency": "high"}  # fmt: skip
FORM = {"content-type": "application/x-www-form-urlencoded"}
XSS = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>", "javascript:alert(1)",
    "'><iframe src=//evil>", "<a href=javascript:alert(1)>x</a>", "{{7*7}}", "<style>*{display:none}</style>",
    "</textarea><script>alert(1)</script>", "</pre><b>bold</b>", "<body onload=alert(1)>",
    "<input autofocus onfocus=x>", "<details open ontoggle=alert(1)>", "<math><mtext><script>x</script>",
    "<object data=javascript:alert(1)>", "<embed src=//evil>", "<base href=//evil/>", "<meta http-equiv=refresh>",
    "<link rel=stylesheet href=//evil>", "<form action=//evil><button>x", "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>", "<marquee onstart=alert(1)>", "<img src=1 onerror=alert`1`>",
    "<svg><script>alert(1)</script></svg>", "<isindex action=javascript:alert(1)>", "<x onclick=alert(1)>x</x>",
    "\"><script>alert(1)</script>", "'-alert(1)-'", "</title><script>alert(1)</script>",
    "<!--<script>alert(1)//-->", "<![CDATA[<script>alert(1)</script>]]>", "<scr<script>ipt>alert(1)</script>",
    "%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;alert(1)&lt;/script&gt;", "<img src=\"x\" onerror=\"x\">",
    "<svg/onload=alert(1)>", "<iframe srcdoc='<script>alert(1)</script>'>", "<table background=javascript:x>",
    "<div style=background:url(javascript:x)>", "<a href=\"data:text/html,<script>x</script>\">x</a>",
    "<template><script>x</script></template>", "<noscript><p title=\"</noscript><img src=x onerror=x>\">",
    "<select autofocus onfocus=x>", "<textarea autofocus onfocus=x>", "<keygen autofocus onfocus=x>",
    "<frameset onload=x>", "<plaintext>", "<xmp><script>x</script></xmp>", "<svg><a xlink:href=javascript:x>x</a>",
    "\u003cscript\u003ealert(1)\u003c/script\u003e", "<img src=x:x onerror=eval(atob('YWxlcnQoMSk='))>",
]  # fmt: skip


async def create(client: Client, headers: dict[str, str] | None = None, **extra: Any) -> str:
    answer = await client.post("/interrupts", json=BODY | extra, headers=headers or {})
    assert answer.status_code == 201, answer.text
    interrupt_id: str = answer.json()["interruptId"]
    return interrupt_id


def token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token in the form"
    return found.group(1)


async def submit(client: Client, interrupt_id: str, **fields: str) -> Any:
    page = (await client.get(f"/review/{interrupt_id}")).text
    form = {"csrf": token_of(page)} | fields
    return await client.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)


async def test_page_shows_the_request_and_carries_the_security_headers(client: Client) -> None:
    interrupt_id = await create(client)
    page = await client.get(f"/review/{interrupt_id}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for text in ("Pay invoice INV-42", "high urgency", "payer-bot", "alice", "&#34;amount&#34;: 120",
                 'value="approved"', 'value="rejected"', 'name="reason"'):  # fmt: skip
        assert text in page.text, text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert "unsafe-inline" not in csp
    assert (page.headers["referrer-policy"], page.headers["x-content-type-options"]) == ("no-referrer", "nosniff")
    assert (page.headers["cache-control"], page.headers["x-robots-tag"]) == ("no-store", "noindex")
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/times.js" defer>',
        '<script src="/static/review.js" defer>',
    ]  # no inline script
    assert "style=" not in page.text


async def test_approve_with_reason_is_what_the_api_reports(client: Client) -> None:
    interrupt_id = await create(client)
    answer = await submit(client, interrupt_id, decision="approved", reason="Looks right")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/review/{interrupt_id}")
    record = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert (record["status"], record["reason"]) == ("approved", "Looks right")
    assert "modifiedParams" not in record
    final = (await client.get(f"/review/{interrupt_id}")).text
    assert "Approved" in final and "Looks right" in final and 'name="decision"' not in final


async def test_the_history_section_says_what_happened_in_order(client: Client) -> None:
    interrupt_id = await create(client)
    pending = (await client.get(f"/review/{interrupt_id}")).text
    assert history_of(pending) == ["Asked by payer-bot"]
    minted = await client.post(f"/interrupts/{interrupt_id}/review-links", json={"reviewer": "rita@example.com"})
    assert minted.status_code == 201, minted.text
    linked = (await client.get(f"/review/{interrupt_id}")).text  # still pending: the history list is read now
    assert history_of(linked) == ["Asked by payer-bot", "Review link made for rita@example.com"]
    await submit(client, interrupt_id, decision="rejected")
    final = (await client.get(f"/review/{interrupt_id}")).text
    assert history_of(final) == [
        "Asked by payer-bot",
        "Review link made for rita@example.com",
        "Rejected by someone with the open review link through the review page",
    ]


def history_of(page: str) -> list[str]:
    section = page.split('<ol class="history">', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"</time> <span>([^<]*)</span>", section)


async def test_reject_and_approve_with_edited_parameters(client: Client) -> None:
    rejected = await create(client)
    await submit(client, rejected, decision="rejected", modifiedParams='{"amount": 1}')
    assert (await client.get(f"/interrupts/{rejected}")).json()["status"] == "rejected"
    edited = await create(client)
    await submit(client, edited, decision="approved", modifiedParams='{"amount": 100, "note": "capped"}')
    record = (await client.get(f"/interrupts/{edited}")).json()
    assert record["modifiedParams"] == {"amount": 100, "note": "capped"}


async def test_invalid_edited_json_is_refused_on_the_page(client: Client) -> None:
    interrupt_id = await create(client)
    answer = await submit(client, interrupt_id, decision="approved", modifiedParams='{"amount": 1')
    assert answer.status_code == 400
    assert "not valid JSON" in answer.text
    assert "{&#34;amount&#34;: 1" in answer.text  # the reviewer's text is kept for fixing
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    not_object = await submit(client, interrupt_id, decision="approved", modifiedParams="[1, 2]")
    assert (not_object.status_code, "must be a JSON object" in not_object.text) == (400, True)


async def test_forged_posts_are_refused_and_change_nothing(client: Client) -> None:
    interrupt_id = await create(client)
    other = await create(client)
    foreign = token_of((await client.get(f"/review/{other}")).text)
    own = token_of((await client.get(f"/review/{interrupt_id}")).text)
    attempts = [
        ({"decision": "approved"}, {}),
        ({"decision": "approved", "csrf": "forged"}, {}),
        ({"decision": "approved", "csrf": foreign}, {}),
        ({"decision": "approved", "csrf": own}, {"origin": "https://evil.example"}),
        ({"decision": "approved", "csrf": own}, {"sec-fetch-site": "cross-site"}),
        ({"decision": "approved", "csrf": own}, {"sec-fetch-site": "same-site"}),
        ({"decision": "approved", "csrf": own}, {"sec-fetch-site": "cross-site", "origin": "null"}),
        ({"decision": "approved", "csrf": "forged"}, {"origin": "null"}),
    ]
    for form, headers in attempts:
        answer = await client.post(f"/review/{interrupt_id}/decide", data=form, headers=headers)
        assert answer.status_code == 403, (form, headers)
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    same_site = await client.post(f"/review/{interrupt_id}/decide", data={"decision": "approved", "csrf": own},
                                  headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)  # fmt: skip
    assert same_site.status_code == 303


async def test_final_states_show_a_banner_and_no_buttons(client: Client, clock: FrozenClock) -> None:
    expired = await create(client, expiresIn=60)
    clock.advance(61_000)
    page = (await client.get(f"/review/{expired}")).text
    assert "Expired" in page and 'name="decision"' not in page
    assert "Approval request, expired" in page and "Approval requested" not in page  # not asking any more
    cancelled = await create(client)
    await client.delete(f"/interrupts/{cancelled}")
    assert "Cancelled" in (await client.get(f"/review/{cancelled}")).text
    pending = (await client.get(f"/review/{await create(client)}")).text
    assert "Approval requested" in pending


async def test_an_on_timeout_decision_shows_who_decided_it(client: Client, clock: FrozenClock) -> None:
    timed_out = await create(client, expiresIn=60, onTimeout="approved")
    clock.advance(60_000)
    page = (await client.get(f"/review/{timed_out}")).text
    assert "Approval request, approved" in page and " by timeout" in page and 'name="decision"' not in page
    assert "no decision before the deadline" in page


async def test_unknown_interrupt_is_a_404_page(client: Client) -> None:
    for interrupt_id in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        page = await client.get(f"/review/{interrupt_id}")
        assert (page.status_code, "Interrupt not found" in page.text) == (404, True)
        assert page.headers["content-type"].startswith("text/html")


async def test_the_page_works_with_auth_on(auth_client: Client) -> None:
    interrupt_id = await create(auth_client, headers={"x-api-key": API_KEY})
    answer = await submit(auth_client, interrupt_id, decision="approved")
    assert answer.status_code == 303
    record = await auth_client.get(f"/interrupts/{interrupt_id}", headers={"x-api-key": API_KEY})
    assert record.json()["status"] == "approved"


@pytest.mark.parametrize("payload", XSS)
async def test_agent_strings_are_escaped(client: Client, payload: str) -> None:
    """The page's elements and attributes are the same whatever the agent sent: nothing injected."""
    benign = await create(client, action="x", agentId="x", userId="x", context={"x": "x"})
    hostile = await create(client, action=payload, agentId=payload, userId=payload, context={"x": payload})
    page = (await client.get(f"/review/{hostile}")).text
    assert structure(page) == structure((await client.get(f"/review/{benign}")).text)
    assert str(markupsafe.escape(payload)) in page  # shown, as text


def structure(page: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every start tag of a page with its attribute names, in order (what a browser would build)."""
    found: list[tuple[str, tuple[str, ...]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, tuple(name for name, _ in attrs)))

    Collector().feed(page)
    return found


async def test_robots_and_stylesheet(client: Client) -> None:
    robots = await client.get("/robots.txt")
    assert "Disallow: /review/" in robots.text
    css = await client.get("/static/pages.css")
    assert css.status_code == 200
    assert "prefers-color-scheme: dark" in css.text
