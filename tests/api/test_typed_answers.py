"""`responseSchema` and `response`: a typed answer, refused at create when unsupported, validated at decide (422)."""

import asyncio
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from service import answers
from service.api.schemas import decode_create
from service.clock import SystemClock
from service.domain.errors import InvalidField, InvalidResponse
from service.domain.models import Decision
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore

Client = AsyncTestClient[Litestar]

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Payment details",
    "properties": {
        "amount": {"type": "number", "minimum": 0, "maximum": 10000, "title": "Amount to pay"},
        "installments": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1},
        "account": {"type": "string", "enum": ["checking", "savings"]},
        "payOn": {"type": "string", "format": "date", "description": "When the payment leaves"},
        "notify": {"type": "string", "format": "email"},
        "receipt": {"type": "string", "format": "uri"},
        "memo": {"type": "string", "maxLength": 20},
        "urgent": {"type": "boolean", "default": False},
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": ["tax", "vendor", "refund"]},
            "uniqueItems": True,
        },
    },
    "required": ["amount", "account"],
    "additionalProperties": False,
}


async def create(client: Client, user_id: str, schema: Any = SCHEMA, **extra: Any) -> str:
    body = {"agentId": "payer", "userId": user_id, "action": "Pay invoice 4411", "context": {"invoice": 4411},
            "responseSchema": schema} | extra  # fmt: skip
    answer = await client.post("/interrupts", json=body)
    assert answer.status_code == 201, answer.text
    made: str = answer.json()["interruptId"]
    return made


async def test_a_valid_response_is_stored_and_read_back_everywhere(client: Client, redis: Redis, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    read = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert read["responseSchema"] == SCHEMA and "response" not in read
    pending = (await client.get(f"/interrupts/pending/{user_id}")).json()
    assert pending[0]["responseSchema"] == SCHEMA
    response = {"amount": 120.5, "account": "savings", "payOn": "2026-12-24", "tags": ["tax"], "urgent": True}
    decided = await client.post(
        f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "response": response}
    )
    assert decided.status_code == 200, decided.text
    assert set(decided.json()) == {"interruptId", "status", "decision", "decidedAt"}  # compat body unchanged
    read = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert read["response"] == response and read["decision"] == "approved"
    late = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected"})
    assert late.status_code == 409 and late.json()["current"]["response"] == response
    events = await HistoryStore(redis).read(interrupt_id)
    decided_event = next(e for e in events if e.event == "decided")
    assert decided_event.detail == {"decision": "approved", "response": response}


async def test_every_violation_is_answered_422_with_its_path_and_nothing_changes(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id)
    bad = {"amount": -5, "installments": 2.5, "account": "offshore", "payOn": "2026-13-01", "notify": "nobody",
           "receipt": "not a uri", "memo": "x" * 21, "tags": ["tax", "tax"], "extra": 1}  # fmt: skip
    refused = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "response": bad})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:interlock:problem:invalid-response" and problem["field"] == "response"
    paths = {v["path"] for v in problem["violations"]}
    wanted = {"$.amount", "$.installments", "$.account", "$.payOn", "$.notify", "$.receipt", "$.memo", "$.tags"}
    assert wanted <= paths and "$" in paths  # the extra property is the whole answer's violation
    assert all(v["message"] for v in problem["violations"])
    assert next(v for v in problem["violations"] if v["path"] == "$.amount")["field"] == "amount"
    assert problem["error"].startswith("response does not match the responseSchema: ")
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    missing = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    assert missing.status_code == 422  # an approval answers `{}` at least: the required fields are missing
    assert [(v["path"], v["message"]) for v in missing.json()["violations"]] == [
        ("$.account", '"account" is a required property'), ("$.amount", '"amount" is a required property')]  # fmt: skip


async def test_an_approval_without_required_fields_answers_an_empty_object(client: Client, user_id: str) -> None:
    interrupt_id = await create(client, user_id, {"type": "object", "properties": {"note": {"type": "string"}}})
    assert (await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})).status_code == 200
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["response"] == {}


async def test_a_rejection_needs_no_response_but_one_given_is_checked(client: Client, user_id: str) -> None:
    first, second = await create(client, user_id), await create(client, user_id)
    no_answer = await client.post(f"/interrupts/{first}/decide", json={"decision": "rejected", "reason": "no"})
    assert no_answer.status_code == 200 and "response" not in (await client.get(f"/interrupts/{first}")).json()
    wrong = await client.post(
        f"/interrupts/{second}/decide", json={"decision": "rejected", "response": {"amount": "x"}}
    )
    assert wrong.status_code == 422


async def test_a_response_for_an_interrupt_without_a_schema_is_refused(client: Client, user_id: str) -> None:
    made = await client.post("/interrupts", json={"agentId": "a", "userId": user_id, "action": "x", "context": {}})
    interrupt_id = made.json()["interruptId"]
    refused = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "response": {}})
    assert refused.status_code == 400 and refused.json()["field"] == "response"
    assert "responseSchema" in refused.json()["error"]
    not_object = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "response": [1]})
    assert not_object.status_code == 400 and not_object.json()["error"] == "response must be a JSON object"
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"


UNSUPPORTED: list[tuple[Any, str]] = [
    ([], "responseSchema must be a JSON Schema object"),
    ({"type": "array", "properties": {"a": {"type": "string"}}}, "responseSchema.type"),
    ({"type": "object"}, "responseSchema.properties"),
    ({"type": "object", "properties": {}}, "responseSchema.properties"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}}, "'pattern' is not supported"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "oneOf": []}, "'oneOf' is not supported"),
    ({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, "responseSchema.properties.a.type"),
    ({"type": "object", "properties": {"a": {"type": "object"}}}, "responseSchema.properties.a.type"),
    ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, "responseSchema.properties.a.type"),
    ({"type": "object", "properties": {"a": {"type": "string", "format": "ipv4"}}}, "format"),
    ({"type": "object", "properties": {"a": {"type": "string", "maxLength": -1}}}, "maxLength"),
    ({"type": "object", "properties": {"a": {"type": "number", "minimum": "0"}}}, "minimum"),
    ({"type": "object", "properties": {"a": {"type": "string", "enum": []}}}, "enum"),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "number"}}}}, "items"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "required"),
    ({"type": "object", "properties": {"a": {"type": "integer", "default": "one"}}}, "default"),
    ({"type": "object", "properties": {"a": {"type": "number", "multipleOf": 0}}}, "multipleOf"),
    (
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"a": {"type": "string"}},
        },
        "$schema",
    ),
    ({"type": "object", "properties": {"a\n": {"type": "string"}}}, "printable"),
]


@pytest.mark.parametrize(("schema", "named"), UNSUPPORTED, ids=range(len(UNSUPPORTED)))
async def test_an_unsupported_or_invalid_schema_is_refused_at_create_naming_the_problem(
    client: Client, user_id: str, schema: Any, named: str
) -> None:
    refused = await client.post("/interrupts", json={"agentId": "a", "userId": user_id, "action": "x", "context": {},
                                                     "responseSchema": schema})  # fmt: skip
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "responseSchema" and named in refused.json()["error"], refused.json()
    assert (await client.get(f"/interrupts/pending/{user_id}")).json() == []


async def test_a_decide_racing_another_on_a_schema_interrupt_gives_one_outcome(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=60_000, check=answers.checked_decision)
    body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}, "responseSchema": SCHEMA}
    made = await store.create(decode_create(msgspec.json.encode(body)))

    async def decide(amount: int) -> str:
        answer = msgspec.json.encode({"amount": amount, "account": "checking"}).decode()
        try:
            await store.decide(made.id, Decision(decision="approved", response=answer))
        except Exception as exc:  # the losers' error is what is counted
            return type(exc).__name__
        return "won"

    outcomes = await asyncio.gather(*(decide(n) for n in range(20)))
    assert outcomes.count("won") == 1 and set(outcomes) == {"won", "AlreadyDecided"}
    stored = await store.get(made.id)
    assert stored.response is not None and msgspec.json.decode(stored.response)["amount"] == outcomes.index("won")


async def test_a_process_that_never_saw_the_schema_checks_the_decision_the_same(redis: Redis, user_id: str) -> None:
    creating = InterruptStore(redis, SystemClock(), retention_ms=60_000, check=answers.checked_decision)
    # its own memo: the schema is unknown to it
    deciding = InterruptStore(redis, SystemClock(), retention_ms=60_000, check=answers.checked_decision)
    body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}, "responseSchema": SCHEMA}
    made = await creating.create(decode_create(msgspec.json.encode(body)))
    with pytest.raises(InvalidResponse) as refused:
        await deciding.decide(made.id, Decision(decision="approved", response='{"amount": -1}'))
    assert {v["path"] for v in refused.value.violations} == {"$.account", "$.amount"}
    answer = '{"amount": 1, "account": "checking"}'
    done = await deciding.decide(made.id, Decision(decision="approved", response=answer))
    assert done.status == "approved" and (await creating.get(made.id)).response == answer


async def test_a_late_decide_with_a_bad_response_is_told_the_outcome_not_the_schema(
    client: Client, user_id: str
) -> None:
    interrupt_id = await create(client, user_id)  # this app's store remembers the schema: checked before the script
    await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected"})
    late = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "response": {}})
    assert late.status_code == 409 and late.json()["current"]["status"] == "rejected"


async def test_a_guessed_schema_is_only_a_guess_the_interrupts_own_decides(redis: Redis, user_id: str) -> None:
    store = InterruptStore(redis, SystemClock(), retention_ms=60_000, check=answers.checked_decision)
    loose = {"type": "object", "properties": {"amount": {"type": "number"}}}
    strict = {"type": "object", "properties": {"amount": {"type": "number", "maximum": 10}}}

    async def made(schema: Any) -> str:
        body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}} | ({"responseSchema": schema}
                                                                                   if schema else {})  # fmt: skip
        return (await InterruptStore(redis, SystemClock(), retention_ms=60_000, check=answers.checked_decision)
                .create(decode_create(msgspec.json.encode(body)))).id  # fmt: skip

    first, second, plain = await made(loose), await made(strict), await made(None)
    await store.get(first)  # this store has seen `loose` last: it guesses it for the others
    with pytest.raises(InvalidResponse):  # valid under the guess, not under the interrupt's own schema
        await store.decide(second, Decision(decision="approved", response='{"amount": 50}'))
    with pytest.raises(InvalidField):  # a plain interrupt takes no answer, whatever was guessed
        await store.decide(plain, Decision(decision="approved", response='{"amount": 5}'))
    assert (await store.decide(plain, Decision(decision="approved"))).status == "approved"
    done = await store.decide(second, Decision(decision="approved", response='{"amount": 5}'))
    assert done.status == "approved"
