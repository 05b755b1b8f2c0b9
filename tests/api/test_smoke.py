from litestar.testing import AsyncTestClient


async def test_create_then_read(client: AsyncTestClient[object], user_id: str) -> None:
    body = {"agentId": "a", "userId": user_id, "action": "pay", "context": {"x": 1}}
    created = await client.post("/interrupts", json=body)
    assert created.status_code == 201
    read = await client.get(f"/interrupts/{created.json()['interruptId']}")
    assert read.json()["status"] == "pending"
