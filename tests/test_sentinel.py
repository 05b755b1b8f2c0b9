"""REDIS_URL=redis+sentinel://…: a real primary, replica and Sentinel; the primary dies, the service carries on."""

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis as SyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError

from service.embedded import EmbeddedRedis, find_server_binary, free_port
from service.store import keys
from service.store.connection import sentinel_address
from tests.processes import ServeProcess

ASK = {"agentId": "a", "userId": "sentinel-user", "action": "fail over", "context": {}}


def test_sentinel_urls_are_parsed_and_bad_ones_refused() -> None:
    address = sentinel_address("redis+sentinel://:s%40cret@10.0.0.1:26379,[::1]:26380/orders/2")
    assert address is not None
    assert (address.sentinels, address.service, address.db, address.password) == (
        [("10.0.0.1", 26379), ("::1", 26380)],
        "orders",
        2,
        "s@cret",
    )
    assert sentinel_address("redis://127.0.0.1:6379/0") is None
    for bad in ("redis+sentinel://h:1", "redis+sentinel://h/m", "redis+sentinel://h:1/m/x", "redis+sentinel:///m"):
        with pytest.raises(ValueError, match="REDIS_URL"):
            sentinel_address(bad)


Cluster = tuple[EmbeddedRedis, EmbeddedRedis, int]  # primary, replica, Sentinel port


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A primary, its replica and one Sentinel (quorum 1, 500 ms to declare the primary down)."""
    primary = EmbeddedRedis(tmp_path / "primary", password=False).start()  # this Sentinel setup runs without auth
    replica = EmbeddedRedis(
        tmp_path / "replica", extra=("--replicaof", "127.0.0.1", str(primary.port)), password=False
    ).start()
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor mymaster 127.0.0.1 {primary.port} 1\n"
        "sentinel down-after-milliseconds mymaster 500\nsentinel failover-timeout mymaster 3000\n"
    )
    sentinel = subprocess.Popen(
        [find_server_binary(), str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with SyncRedis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=5) as client:
            while True:  # until the Sentinel is up and has found the replica (bounded by the test's timeout)
                try:
                    if client.sentinel_slaves("mymaster"):
                        break
                except RedisConnectionError:
                    continue
        yield primary, replica, port
    finally:
        sentinel.send_signal(signal.SIGTERM)
        sentinel.wait(10)
        replica.stop()
        primary.stop()


@pytest.mark.timeout(120)
def test_the_service_follows_a_failover(cluster: Cluster, tmp_path: Path) -> None:
    primary, replica, port = cluster
    url = f"redis+sentinel://127.0.0.1:{port}/mymaster/0"
    api = ServeProcess({"REDIS_URL": url, "INTERLOCK_WORKERS": "1"}, args=(), log=tmp_path / "serve.log")
    api.wait_ready()
    try:
        with httpx.Client(base_url=api.url, timeout=15) as http:
            first = http.post("/interrupts", json=ASK)
            assert first.status_code == 201, first.text
            with SyncRedis(host="127.0.0.1", port=primary.port) as direct:
                assert direct.execute_command("WAIT", 1, 5000) == 1  # the replica has it before the primary dies
            primary.kill()
            statuses = []
            while True:  # 503 (with Retry-After) until the Sentinel promotes the replica; the timeout bounds it
                answer = http.post("/interrupts", json=ASK)
                statuses.append(answer.status_code)
                if answer.status_code == 201:
                    break
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"]
            interrupt_id = first.json()["interruptId"]
            assert http.get(f"/interrupts/{interrupt_id}").json()["status"] == "pending"
            decided = http.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
            assert decided.status_code == 200, decided.text
            assert http.get("/readyz").status_code == 200
            soon = http.post("/interrupts", json=ASK | {"expiresIn": 1}).json()["interruptId"]
        with SyncRedis(host="127.0.0.1", port=replica.port, decode_responses=True) as promoted:
            while promoted.hget(keys.interrupt(soon), "status") != "expired":  # the worker follows the failover too
                continue  # each check is a round trip; the test's timeout bounds the loop
        with SyncRedis(host="127.0.0.1", port=port, decode_responses=True) as sentinel:
            assert int(sentinel.sentinel_get_master_addr_by_name("mymaster")[1]) == replica.port
        assert set(statuses) == {503, 201}  # it really was down for a while, and never answered 500
    finally:
        api.stop()
