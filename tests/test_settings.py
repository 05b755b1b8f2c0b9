"""Settings.from_env: compat names, defaults, durations, and typos that stop startup."""

import pytest

from service.domain.roles import Role
from service.settings import Settings, SettingsError, parse_duration_ms


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.base_url) == ("127.0.0.1", 3002, "http://localhost:3002")
    assert settings.keys == () and not settings.auth_enabled
    assert settings.review_links == "open"
    assert settings.retention_ms == 7 * 86_400_000
    assert settings.max_body_bytes == 65_536


def test_compat_names_and_key_rotation() -> None:
    env = {"PORT": "4000", "LOOPIN_BASE_URL": "https://hitl.example.com/", "API_KEY_SECRET": "a",
           "INTERLOCK_API_KEYS": "b, c,,a", "REDIS_URL": "redis://r:6379/0"}  # fmt: skip
    settings = Settings.from_env(env)
    assert settings.port == 4000
    assert settings.base_url == "https://hitl.example.com"
    assert [(k.label, k.role, k.secret) for k in settings.keys] == [
        ("admin", Role.ADMIN, "a"), ("admin", Role.ADMIN, "b"), ("admin", Role.ADMIN, "c")]  # fmt: skip
    assert settings.redis_url == "redis://r:6379/0"


def test_base_url_follows_port() -> None:
    assert Settings.from_env({"PORT": "4000"}).base_url == "http://localhost:4000"


def test_misspelled_interlock_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="INTERLOCK_RETENTON"):
        Settings.from_env({"INTERLOCK_RETENTON": "7d"})


@pytest.mark.parametrize(("text", "ms"), [("7d", 604_800_000), ("12h", 43_200_000), ("30m", 1_800_000),
                                          ("45s", 45_000), ("90", 90_000), ("500ms", 500)])  # fmt: skip
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms("X", text) == ms


@pytest.mark.parametrize("text", ["", "0d", "-1h", "soon", "7w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(SettingsError, match="X must be"):
        parse_duration_ms("X", text)


@pytest.mark.parametrize("env", [{"PORT": "abc"}, {"PORT": "-1"}, {"INTERLOCK_SERVER": "gunicorn"}])
def test_bad_values_fail(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_role_keys_have_labels_and_turn_review_links_signed() -> None:
    env = {"INTERLOCK_AGENT_KEYS": "bot=s1, ci=s2", "INTERLOCK_REVIEWER_KEYS": "alice=s3",
           "INTERLOCK_API_KEYS": "ops=s4,YWJjZA==,plain"}  # fmt: skip
    settings = Settings.from_env(env)
    assert {(k.label, k.role, k.secret) for k in settings.keys} == {
        ("ops", Role.ADMIN, "s4"), ("admin", Role.ADMIN, "YWJjZA=="), ("admin", Role.ADMIN, "plain"),
        ("bot", Role.AGENT, "s1"), ("ci", Role.AGENT, "s2"), ("alice", Role.REVIEWER, "s3")}  # fmt: skip
    assert settings.review_links == "signed"
    assert Settings.from_env(env | {"INTERLOCK_REVIEW_LINKS": "open"}).review_links == "open"
    assert "s1" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [({"INTERLOCK_AGENT_KEYS": "no-label-secret"}, "INTERLOCK_AGENT_KEYS: entry 1"),
     ({"INTERLOCK_AGENT_KEYS": "bot=same", "INTERLOCK_REVIEWER_KEYS": "rev=same"}, "two roles"),
     ({"INTERLOCK_REVIEW_LINKS": "closed"}, "INTERLOCK_REVIEW_LINKS"),
     ({"INTERLOCK_REQUIRE_AUTH": "true"}, "no key is"),
     ({"INTERLOCK_METRICS_PUBLIC": "maybe"}, "INTERLOCK_METRICS_PUBLIC"),
     ({"INTERLOCK_FSYNC": "never"}, "INTERLOCK_FSYNC must be everysec or always")],
)  # fmt: skip
def test_bad_key_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_serve_help_tells_the_true_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    defaults = Settings.from_env({})
    assert f"$HOST or {defaults.host})" in shown and f"$PORT or {defaults.port})" in shown
    assert f"$INTERLOCK_WORKERS or {defaults.workers})" in shown
    assert f"$INTERLOCK_DATA_DIR ({defaults.data_dir})" in shown and f"{defaults.server} (default)" in shown
    assert f"INTERLOCK_BODY_TIMEOUT_S {defaults.body_timeout_s}:" in shown


def test_the_settings_never_print_a_secret() -> None:
    env = {"WEBHOOK_SECRET": "whsec_c2VjcmV0", "SLACK_BOT_TOKEN": "xoxb-token", "SLACK_SIGNING_SECRET": "sign-me",
           "REDIS_URL": "redis://:hunter2@cache:6379/0", "SMTP_URL": "smtp://u:mailpass@mx:25",
           "API_KEY_SECRET": "admin-secret"}  # fmt: skip
    shown = repr(Settings.from_env(env))
    for secret in ("c2VjcmV0", "xoxb-token", "sign-me", "hunter2", "mailpass", "admin-secret"):
        assert secret not in shown, secret
    assert "redis://:***@cache:6379/0" in shown and "slack_api_url='https://slack.com/api/'" in shown
