"""`interlock serve` says at startup whether auth is on, which roles hold keys, and warns when open to the network."""

import logging

import pytest

from service.cli import announce_access
from service.settings import Settings


def test_auth_on_names_the_roles_never_the_secrets(caplog: pytest.LogCaptureFixture) -> None:
    env = {"API_KEY_SECRET": "s3cret-admin", "INTERLOCK_AGENT_KEYS": "bot=s3cret-bot,ci=s3cret-ci"}
    with caplog.at_level(logging.INFO, logger="interlock"):
        announce_access(Settings.from_env(env))
    assert "auth is on: keys by role: admin x1, agent x2; review links are signed" in caplog.text
    assert "s3cret" not in caplog.text


def test_auth_off_on_loopback_is_said_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="interlock"):
        announce_access(Settings.from_env({}))
    assert "auth is off" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_auth_off_on_a_public_address_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="interlock"):
        announce_access(Settings.from_env({"HOST": "0.0.0.0"}))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "binding 0.0.0.0 with no API keys" in warnings[0]
