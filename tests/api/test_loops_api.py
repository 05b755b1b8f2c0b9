"""The loop API (intheloop.run): the seed's flow, policies, early ends, timeouts, resolves, errors, auth."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.clock import FrozenClock
from tests.conftest import API_KEY

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

Client = AsyncTestClient[Litestar]
JSON = {"Accept": "application/json"}


def body(n: int = 2, **extra: Any) -> dict[str, Any]:
    people = [f"p{i}@example.com" for i in range(n)]
    return {"loop_name": "agent output check", "loop_description": "review the output", "participants": people,
            "participant_timeout": 900000} | extra  # fmt: skip


async def create(client: Client, **extra: Any) -> dict[str, Any]:
    answer = await client.post("/v1/loop/create", json=body(**extra))
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]["loop_data"]
    return data


async def resolve(client: Client, promise_id: str, accept: bool) -> Any:
    return await client.post(f"/v1/loop/participant/resolve/{promise_id}", json={"accept": accept})


async def status(client: Client, loop_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await client.get(f"/v1/loop/status/{loop_id}")).json()["data"]
    return data


async def test_seed_flow_link_then_post_then_status_and_result(client: Client) -> None:
    loop = await create(client)
    first, second = loop["participants"]
    assert (
        first["accept_link"] == f"http://localhost:3002/v1/loop/participant/resolve/{first['promise_id']}?accept=true"
    )
    assert second["reject_link"].endswith(f"/v1/loop/participant/resolve/{second['promise_id']}?accept=false")
    assert first["promise_id"] != second["promise_id"]
    pending = await status(client, loop["loop_id"])
    assert pending | {"message": None} == {"loop_id": loop["loop_id"], "state": "PENDING", "resolved": False,
                                           "status": "PENDING", "message": None, "result": None}  # fmt: skip
    clicked = await client.get(first["accept_link"].removeprefix("http://localhost:3002"), headers=JSON)
    assert clicked.json() == {"success": True, "message": "Promise resolved",
                              "data": {"promise_id": first["promise_id"], "state": "RESOLVED"}}  # fmt: skip
    assert (await resolve(client, second["promise_id"], True)).status_code == 200
    done = await status(client, loop["loop_id"])
    assert (done["state"], done["resolved"], done["status"], done["message"]) == (
        "RESOLVED",
        True,
        "ACCEPTED",
        "all participants accepted",
    )
    result = (await client.get(f"/v1/loop/result/{loop['loop_id']}")).json()
    assert result["success"] is True
    assert result["data"]["result"] == {
        "status": "ACCEPTED",
        "message": "all participants accepted",
        "results": [{"email": "p0@example.com", "promise_id": first["promise_id"], "accept": True, "state": "RESOLVED"},
                    {"email": "p1@example.com", "promise_id": second["promise_id"], "accept": True,
                     "state": "RESOLVED"}],
    }  # fmt: skip


async def test_all_policy_ends_at_the_first_reject_and_closes_the_rest(client: Client) -> None:
    loop = await create(client, n=3)
    ids = [p["promise_id"] for p in loop["participants"]]
    await resolve(client, ids[1], False)
    done = await status(client, loop["loop_id"])
    assert (done["status"], done["message"]) == ("REJECTED", "participant rejected")
    assert [(r["accept"], r["state"]) for r in done["result"]["results"]] == [
        (None, "CANCELLED"),
        (False, "RESOLVED"),
        (None, "CANCELLED"),
    ]
    late = await resolve(client, ids[0], True)
    assert late.status_code == 409
    assert late.json()["success"] is False
    assert late.json()["message"] == "Loop already ended as REJECTED: this promise was closed"


async def test_any_policy_first_accept_wins(client: Client) -> None:
    loop = await create(client, n=3, policy="any")
    ids = [p["promise_id"] for p in loop["participants"]]
    await resolve(client, ids[0], False)
    assert (await status(client, loop["loop_id"]))["status"] == "PENDING"
    await resolve(client, ids[2], True)
    done = await status(client, loop["loop_id"])
    assert (done["status"], done["message"]) == ("ACCEPTED", "a participant accepted")
    assert [r["state"] for r in done["result"]["results"]] == ["RESOLVED", "CANCELLED", "RESOLVED"]


async def test_any_policy_rejected_only_when_everyone_refused(client: Client) -> None:
    loop = await create(client, n=2, policy="any")
    for p in loop["participants"]:
        await resolve(client, p["promise_id"], False)
    assert (await status(client, loop["loop_id"]))["message"] == "no participant accepted"


async def test_quorum_accepts_at_k_and_rejects_when_k_is_out_of_reach(client: Client) -> None:
    loop = await create(client, n=3, policy={"quorum": 2})
    assert loop["policy"] == {"quorum": 2}
    ids = [p["promise_id"] for p in loop["participants"]]
    await resolve(client, ids[0], True)
    await resolve(client, ids[1], False)
    assert (await status(client, loop["loop_id"]))["status"] == "PENDING"
    await resolve(client, ids[2], True)
    assert (await status(client, loop["loop_id"]))["message"] == "quorum of 2 accepts reached"
    other = await create(client, n=3, policy={"quorum": 2})
    ids = [p["promise_id"] for p in other["participants"]]
    await resolve(client, ids[0], False)
    await resolve(client, ids[1], False)  # 1 left open, 2 needed: decided now
    done = await status(client, other["loop_id"])
    assert (done["status"], done["message"]) == ("REJECTED", "quorum of 2 accepts can no longer be reached")


async def test_timeout_rejects_open_promises_on_every_read_and_write(client: Client, clock: FrozenClock) -> None:
    loop = await create(client, n=2, participant_timeout=60_000)
    ids = [p["promise_id"] for p in loop["participants"]]
    await resolve(client, ids[0], True)
    clock.advance(60_000)
    done = await status(client, loop["loop_id"])
    assert (done["status"], done["message"]) == ("REJECTED", "participant timed out")
    assert [(r["accept"], r["state"]) for r in done["result"]["results"]] == [
        (True, "RESOLVED"),
        (False, "REJECTED_TIMEDOUT"),
    ]
    late = await resolve(client, ids[1], True)
    assert (late.status_code, late.json()["message"]) == (409, "Promise timed out before it was resolved")
    again = await resolve(client, ids[0], True)  # the same decision stays fine after the end
    assert again.status_code == 200


async def test_same_decision_is_idempotent_opposite_is_409(client: Client) -> None:
    loop = await create(client, n=2)
    promise = loop["participants"][0]["promise_id"]
    assert (await resolve(client, promise, True)).status_code == 200
    assert (await resolve(client, promise, True)).status_code == 200
    opposite = await resolve(client, promise, False)
    assert (opposite.status_code, opposite.json()["message"]) == (409, "Promise was already resolved with accept=true")


async def test_resolve_errors(client: Client) -> None:
    loop = await create(client)
    promise = loop["participants"][0]["promise_id"]
    unknown = await resolve(client, "00000000-0000-4000-8000-000000000000", True)
    assert (unknown.status_code, unknown.json()["message"], unknown.json()["success"]) == (
        404,
        "Promise not found",
        False,
    )
    for bad in ({"accept": "yes"}, {"accept": 1}, {}):
        answer = await client.post(f"/v1/loop/participant/resolve/{promise}", json=bad)
        assert (answer.status_code, answer.json()["message"]) == (400, "accept must be true or false"), bad
    query = await client.post(f"/v1/loop/participant/resolve/{promise}?accept=true")
    assert query.status_code == 200
    form = await client.post(f"/v1/loop/participant/resolve/{loop['participants'][1]['promise_id']}",
                             data={"accept": "true"})  # fmt: skip
    assert form.status_code == 200


async def test_result_is_409_while_pending_and_unknown_loops_are_404(client: Client) -> None:
    loop = await create(client)
    pending = await client.get(f"/v1/loop/result/{loop['loop_id']}")
    assert (pending.status_code, pending.json()["success"]) == (409, False)
    assert pending.json()["message"] == "Loop is still pending: no result yet"
    for path in ("/v1/loop/status/", "/v1/loop/result/"):
        missing = await client.get(path + "00000000-0000-4000-8000-000000000000")
        assert (missing.status_code, missing.json()) == (
            404,
            missing.json() | {"success": False, "message": "Loop not found"},
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [({"loop_name": ""}, "loop_name"), ({"loop_name": 3}, "loop_name"),
     ({"loop_description": None}, "loop_description"),
     ({"participants": []}, "participants"), ({"participants": ["not-an-email"]}, "participants"),
     ({"participants": ["a@x.io", "A@x.io"]}, "participants"), ({"participant_timeout": 0}, "participant_timeout"),
     ({"participant_timeout": "900000"}, "participant_timeout"), ({"participant_timeout": 1.5}, "participant_timeout"),
     ({"policy": "most"}, "policy"), ({"policy": {"quorum": 3}}, "policy"), ({"policy": {"quorum": 0}}, "policy"),
     ({"callback_url": "ftp://example.com/hook"}, "callback_url"),
     ({"callback_url": "http://10.0.0.1/hook"}, "callback_url")],
)  # fmt: skip
async def test_create_validation_names_the_field(client: Client, change: dict[str, Any], field: str) -> None:
    answer = await client.post("/v1/loop/create", json=body() | change)
    assert answer.status_code == 400
    assert answer.json()["success"] is False
    assert answer.json()["field"] == field
    assert field in answer.json()["message"]


async def test_create_needs_a_key_and_the_capability_routes_do_not(auth_client: Client) -> None:
    assert (await auth_client.post("/v1/loop/create", json=body())).status_code == 401
    made = await auth_client.post("/v1/loop/create", json=body(), headers={"x-api-key": API_KEY})
    assert made.status_code == 201
    loop = made.json()["data"]["loop_data"]
    assert (await auth_client.get(f"/v1/loop/status/{loop['loop_id']}")).status_code == 200
    assert (await resolve(auth_client, loop["participants"][0]["promise_id"], True)).status_code == 200
    bearer = await auth_client.post("/v1/loop/create", json=body(), headers={"Authorization": f"Bearer {API_KEY}"})
    assert bearer.status_code == 201


async def test_a_browser_opening_a_link_gets_a_page_and_decides_nothing(client: Client) -> None:
    loop = await create(client)
    link = loop["participants"][0]["reject_link"].removeprefix("http://localhost:3002")
    page = await client.get(link, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "p0@example.com" in page.text
    assert 'method="post"' in page.text
    assert (await status(client, loop["loop_id"]))["status"] == "PENDING"
    confirmed = await client.post(link, data={})
    assert confirmed.status_code == 200
    assert (await status(client, loop["loop_id"]))["status"] == "REJECTED"


@pytest.mark.parametrize(
    "accept", [None, "*/*", "text/html", "application/xhtml+xml", "application/json, text/html", "text/plain"]
)
async def test_only_an_explicit_json_get_resolves_a_link(client: Client, accept: str | None) -> None:
    loop = await create(client)
    promise_id = loop["participants"][0]["promise_id"]
    request = client.build_request("GET", f"/v1/loop/participant/resolve/{promise_id}?accept=true")
    del request.headers["accept"]
    if accept is not None:
        request.headers["accept"] = accept
    page = await client.send(request)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert (await status(client, loop["loop_id"]))["status"] == "PENDING"
    resolved = await client.get(f"/v1/loop/participant/resolve/{promise_id}?accept=true", headers=JSON)
    assert resolved.json()["data"]["state"] == "RESOLVED"


async def test_names_are_escaped_in_the_confirm_page(client: Client) -> None:
    loop = await create(client, loop_name="<script>alert(1)</script>")
    link = loop["participants"][0]["accept_link"].removeprefix("http://localhost:3002")
    page = await client.get(link, headers={"Accept": "text/html"})
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_idempotency_key_replays_the_same_loop(client: Client) -> None:
    headers = {"Idempotency-Key": "loop-key-1"}
    first = await client.post("/v1/loop/create", json=body(), headers=headers)
    again = await client.post("/v1/loop/create", json=body(), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["loop_data"] == first.json()["data"]["loop_data"]
    other = await client.post("/v1/loop/create", json=body(n=3), headers=headers)
    assert other.status_code == 422


async def test_root_describes_the_service(client: Client) -> None:
    answer = (await client.get("/")).json()
    assert answer["success"] is True
    assert answer["data"]["name"] == "Interlock"
    assert answer["data"]["endpoints"]["create_loop"] == "POST /v1/loop/create"
    assert "auth" not in str(answer["data"]).lower()
