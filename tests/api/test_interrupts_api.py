"""The LoopIn interrupt routes over a real Redis: every compat status, message and key set."""

import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.clock import FrozenClock, iso_ms

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

Client = AsyncTestClient[Any]


def body(user_id: str, **extra: Any) -> dict[str, Any]:
    return {"agentId": "agent-payments-v2", "userId": user_id, "action": "Transfer $4,200", "context": {"a": 1}} | extra


async def create(client: Client, user_id: str, **extra: Any) -> str:
    response = await client.post("/interrupts", json=body(user_id, **extra))
    assert response.status_code == 201, response.text
    interrupt_id: str = response.json()["interruptId"]
    return interrupt_id


async def test_create_answers_exactly_the_compat_keys(client: Client, user_id: str, clock: FrozenClock) -> None:
    response = await client.post("/interrupts", json=body(user_id, expiresIn=1800))
    assert response.status_code == 201
    data = response.json()
    assert list(data) == ["interruptId", "status", "expiresAt", "reviewUrl"]
    assert data["status"] == "pending"
    assert data["expiresAt"] == iso_ms(clock.now_ms() + 1_800_000)
    assert data["reviewUrl"] == f"http://localhost:3002/review/{data['interruptId']}"
    assert uuid.UUID(data["interruptId"]).version == 4


async def test_read_pending_has_no_decision_keys(client: Client, user_id: str, clock: FrozenClock) -> None:
    interrupt_id = await create(client, user_id, urgency="high", callbackUrl="https://agent.example.com/hook")
    data = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert list(data) == [
        "interruptId", "status", "action", "context", "urgency", "createdAt", "expiresAt", "reviewUrl",
    ]  # fmt: skip
    assert data["urgency"] == "high"
    assert data["createdAt"] == iso_ms(clock.now_ms())
    assert "callbackUrl" not in data and "agentId" not in data and "userId" not in data


async def test_context_round_trips_exactly(client: Client, user_id: str) -> None:
    context = {"vendor": "Acme", "amount": 4200.5, "nested": {"list": [1, "two", None, True]}, "unicode": "é✓"}
    interrupt_id = await create(client, user_id, context=context)
    data = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert data["context"] == context
    assert json.dumps(data["context"]) == json.dumps(context)


async def test_decide_answers_compat_keys_and_read_shows_decision(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    decision = {"decision": "approved", "reason": "Invoice verified", "modifiedParams": {"amount": 4200}}
    response = await client.post(f"/interrupts/{interrupt_id}/decide", json=decision)
    assert response.status_code == 200
    assert list(response.json()) == ["interruptId", "status", "decision", "decidedAt"]
    assert response.json()["status"] == "resolved"
    data = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert data["status"] == "approved"
    assert data["decision"] == "approved"
    assert data["reason"] == "Invoice verified"
    assert data["modifiedParams"] == {"amount": 4200}
    assert data["decidedAt"] == response.json()["decidedAt"]


async def test_reject_without_reason_leaves_reason_absent(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected"})
    data = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert data["status"] == "rejected"
    assert "reason" not in data and "modifiedParams" not in data


@pytest.mark.parametrize(
    "missing",
    [
        {"agentId": None},
        {"userId": ""},
        {"action": None},
        {"context": None},
        {"context": ""},
    ],
)
async def test_missing_required_field_is_compat_400(client: Client, user_id: str, missing: dict[str, Any]) -> None:
    response = await client.post("/interrupts", json=body(user_id) | missing)
    assert response.status_code == 400
    assert response.json()["error"] == "agentId, userId, action, and context are required"


async def test_absent_required_field_is_compat_400(client: Client) -> None:
    response = await client.post("/interrupts", json={"agentId": "a", "action": "x", "context": {}})
    assert response.json()["error"] == "agentId, userId, action, and context are required"


async def test_empty_context_object_is_allowed(client: Client, user_id: str) -> None:
    assert (await client.post("/interrupts", json=body(user_id, context={}))).status_code == 201


@pytest.mark.parametrize("urgency", ["urgent", "", "HIGH", 3])
async def test_bad_urgency_is_compat_400(client: Client, user_id: str, urgency: object) -> None:
    response = await client.post("/interrupts", json=body(user_id, urgency=urgency))
    assert response.status_code == 400
    assert response.json()["error"] == "urgency must be low, medium, or high"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"agentId": 5}, "agentId"),
        ({"userId": ["u"]}, "userId"),
        ({"action": {"a": 1}}, "action"),
        ({"context": "x"}, "context"),
        ({"context": [1]}, "context"),
        ({"context": 7}, "context"),
        ({"expiresIn": "60"}, "expiresIn"),
        ({"expiresIn": 0}, "expiresIn"),
        ({"expiresIn": -5}, "expiresIn"),
        ({"expiresIn": 2_592_001}, "expiresIn"),
        ({"expiresIn": True}, "expiresIn"),
        ({"callbackUrl": "not a url"}, "callbackUrl"),
        ({"callbackUrl": "ftp://example.com/x"}, "callbackUrl"),
        ({"callbackUrl": "/relative"}, "callbackUrl"),
        ({"callbackUrl": 5}, "callbackUrl"),
    ],
)
async def test_wrong_types_are_400_naming_the_field(
    client: Client, user_id: str, extra: dict[str, Any], field: str
) -> None:
    response = await client.post("/interrupts", json=body(user_id, **extra))
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["field"] == field
    assert problem["error"].startswith(field)
    assert (await client.get(f"/interrupts/pending/{user_id}")).json() == []  # no partial write


async def test_expires_in_bounds_are_inclusive_at_the_top(client: Client, user_id: str) -> None:
    assert (await client.post("/interrupts", json=body(user_id, expiresIn=2_592_000))).status_code == 201
    assert (await client.post("/interrupts", json=body(user_id, expiresIn=0.5))).status_code == 201


async def test_unknown_fields_are_ignored(client: Client, user_id: str) -> None:
    assert (await client.post("/interrupts", json=body(user_id, extra="x", priority=9))).status_code == 201


async def test_read_unknown_and_malformed_ids_are_compat_404(client: Client) -> None:
    for interrupt_id in (str(uuid.uuid4()), "not-a-uuid", "x" * 300):
        response = await client.get(f"/interrupts/{interrupt_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "Interrupt not found"


async def test_decide_unknown_is_404(client: Client) -> None:
    response = await client.post(f"/interrupts/{uuid.uuid4()}/decide", json={"decision": "approved"})
    assert response.status_code == 404
    assert response.json()["error"] == "Interrupt not found"


async def test_decide_twice_is_409_with_the_winner(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected", "reason": "no"})
    response = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["error"] == "Interrupt is already rejected"
    assert problem["current"]["decision"] == "rejected"
    assert problem["current"]["reason"] == "no"
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_decision_on_decided_interrupt_is_409_first(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    response = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "maybe"})
    assert response.status_code == 409
    assert response.json()["error"] == "Interrupt is already approved"


async def test_bad_decision_on_unknown_interrupt_is_404_first(client: Client) -> None:
    response = await client.post(f"/interrupts/{uuid.uuid4()}/decide", json={"decision": "maybe"})
    assert response.status_code == 404


@pytest.mark.parametrize("decision", [{"decision": "maybe"}, {}, {"decision": None}, {"decision": 1}])
async def test_bad_decision_is_compat_400(client: Client, user_id: str, decision: dict[str, Any]) -> None:
    interrupt_id = await create(client, user_id)
    response = await client.post(f"/interrupts/{interrupt_id}/decide", json=decision)
    assert response.status_code == 400
    assert response.json()["error"] == "decision must be approved or rejected"


@pytest.mark.parametrize(
    ("extra", "field"), [({"reason": 5}, "reason"), ({"modifiedParams": [1]}, "modifiedParams"),
                         ({"modifiedParams": "x"}, "modifiedParams")]
)  # fmt: skip
async def test_bad_reason_or_params_are_400(client: Client, user_id: str, extra: dict[str, Any], field: str) -> None:
    interrupt_id = await create(client, user_id)
    response = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"} | extra)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"


async def test_past_deadline_reads_expired_everywhere(client: Client, user_id: str, clock: FrozenClock) -> None:
    interrupt_id = await create(client, user_id, expiresIn=60)
    clock.advance(59_999)
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    clock.advance(1)
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "expired"
    assert (await client.get(f"/interrupts/pending/{user_id}")).json() == []
    decide = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    assert decide.status_code == 409
    assert decide.json()["error"] == "Interrupt is already expired"
    cancel = await client.delete(f"/interrupts/{interrupt_id}")
    assert cancel.status_code == 409
    assert cancel.json()["error"] == "Cannot cancel an interrupt with status: expired"
    assert (await client.get(f"/analytics/{user_id}")).json()["byStatus"] == {"expired": 1}


async def test_cancel_then_cancel_again(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    response = await client.delete(f"/interrupts/{interrupt_id}")
    assert response.status_code == 200
    assert response.json() == {"interruptId": interrupt_id, "status": "cancelled"}
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "cancelled"
    again = await client.delete(f"/interrupts/{interrupt_id}")
    assert again.status_code == 409
    assert again.json()["error"] == "Cannot cancel an interrupt with status: cancelled"


async def test_cancel_unknown_is_404(client: Client) -> None:
    response = await client.delete(f"/interrupts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"] == "Interrupt not found"


async def test_pending_list_newest_first_with_both_ids(client: Client, user_id: str, clock: FrozenClock) -> None:
    first = await create(client, user_id, callbackUrl="https://agent.example.com/hook")
    clock.advance(10)
    second = await create(client, user_id)
    items = (await client.get(f"/interrupts/pending/{user_id}")).json()
    assert [it["id"] for it in items] == [second, first]
    assert all(it["id"] == it["interruptId"] for it in items)
    assert set(items[1]) == {
        "id", "interruptId", "agentId", "userId", "action", "context", "urgency", "status", "createdAt",
        "expiresAt", "reviewUrl",
    }  # fmt: skip
    await client.post(f"/interrupts/{second}/decide", json={"decision": "approved"})
    assert [it["id"] for it in (await client.get(f"/interrupts/pending/{user_id}")).json()] == [first]


async def test_pending_unknown_user_is_empty(client: Client) -> None:
    response = await client.get(f"/interrupts/pending/nobody-{uuid.uuid4()}")
    assert response.status_code == 200
    assert response.json() == []


async def test_pending_pagination_walks_every_item_once(client: Client, user_id: str, clock: FrozenClock) -> None:
    created = []
    for i in range(7):
        created.append(await create(client, user_id))
        if i % 2:  # several share a millisecond, so the cursor must break ties
            clock.advance(1)
    seen: list[str] = []
    url: str | None = f"/interrupts/pending/{user_id}?limit=3"
    while url:
        response = await client.get(url)
        seen += [it["id"] for it in response.json()]
        cursor = response.headers.get("x-next-cursor")
        url = f"/interrupts/pending/{user_id}?limit=3&cursor={cursor}" if cursor else None
        if cursor:
            assert 'rel="next"' in response.headers["link"]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


async def test_pending_bad_cursor_and_limit_are_400(client: Client, user_id: str) -> None:
    assert (await client.get(f"/interrupts/pending/{user_id}?cursor=zzz")).status_code == 400
    assert (await client.get(f"/interrupts/pending/{user_id}?limit=0")).status_code == 400
    assert (await client.get(f"/interrupts/pending/{user_id}?limit=abc")).status_code == 400


async def test_analytics_unknown_user(client: Client) -> None:
    user = f"nobody-{uuid.uuid4()}"
    assert (await client.get(f"/analytics/{user}")).json() == {
        "userId": user, "totalInterrupts": 0, "approvalRate": None, "avgResponseTimeMs": None,
        "byStatus": {}, "byUrgency": {}, "topActionTypes": [],
    }  # fmt: skip


async def test_analytics_counts_rates_and_top_actions(client: Client, user_id: str, clock: FrozenClock) -> None:
    ids = []
    for action, urgency in [("pay", "high"), ("pay", "low"), ("delete", "low"), ("ship", None), ("pay", None)]:
        extra = {"urgency": urgency} if urgency else {}
        ids.append(await create(client, user_id, action=action, **extra))
    for extra_action in ("a1", "a2", "a3"):
        await create(client, user_id, action=extra_action)
    clock.advance(1000)
    await client.post(f"/interrupts/{ids[0]}/decide", json={"decision": "approved"})
    clock.advance(2001)
    await client.post(f"/interrupts/{ids[1]}/decide", json={"decision": "approved"})
    await client.post(f"/interrupts/{ids[2]}/decide", json={"decision": "rejected"})
    await client.delete(f"/interrupts/{ids[3]}")
    data = (await client.get(f"/analytics/{user_id}")).json()
    assert data["totalInterrupts"] == 8
    assert data["approvalRate"] == pytest.approx(2 / 3)
    assert data["avgResponseTimeMs"] == round((1000 + 3001 + 3001) / 3)
    assert data["byStatus"] == {"pending": 4, "approved": 2, "rejected": 1, "cancelled": 1}
    assert data["byUrgency"] == {"low": 2, "medium": 5, "high": 1}
    assert data["topActionTypes"] == [
        {"action": "pay", "count": 3}, {"action": "a1", "count": 1}, {"action": "a2", "count": 1},
        {"action": "a3", "count": 1}, {"action": "delete", "count": 1},
    ]  # fmt: skip


async def test_analytics_approval_rate_whole_number_is_integer(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    response = await client.get(f"/analytics/{user_id}")
    assert b'"approvalRate":1,' in response.content


async def test_health_is_compat(client: Client) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "ok", "service": "loopin-api"}


async def test_readyz_reports_ready_on_safe_server(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_reads_carry_an_etag_and_answer_if_none_match_with_304(
    client: Client, clock: FrozenClock, user_id: str
) -> None:
    made = await create(client, user_id, expiresIn=60)
    first = await client.get(f"/interrupts/{made}")
    tag = first.headers["etag"]
    again = await client.get(f"/interrupts/{made}", headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert (await client.get(f"/interrupts/{made}", headers={"If-None-Match": f'W/{tag}, "x"'})).status_code == 304
    clock.advance(61_000)  # the deadline passes: same version, another state, another tag
    expired = await client.get(f"/interrupts/{made}", headers={"If-None-Match": tag})
    assert expired.status_code == 200 and expired.json()["status"] == "expired"
    assert expired.headers["etag"] != tag
