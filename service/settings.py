"""One frozen Settings struct, read once from the environment by the entrypoint (never at import)."""

import re
from collections.abc import Mapping

import msgspec

from service.domain import addresses
from service.domain.roles import ApiKey, Role, parse_keys

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)?\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}

# Every INTERLOCK_* variable we understand; any other one is a typo and stops startup.
KNOWN_PREFIXED = frozenset(
    {
        "INTERLOCK_API_KEYS",
        "INTERLOCK_AGENT_KEYS",
        "INTERLOCK_REVIEWER_KEYS",
        "INTERLOCK_REVIEW_LINKS",
        "INTERLOCK_METRICS_PUBLIC",
        "INTERLOCK_REQUIRE_AUTH",
        "INTERLOCK_FSYNC",
        "INTERLOCK_JOBS_URL",
        "INTERLOCK_BODY_TIMEOUT_S",
        "INTERLOCK_BIND",  # read by deploy/docker-compose.yml only (where the proxy is published)
        "INTERLOCK_PORT",  # likewise
        "INTERLOCK_WEBHOOK_ALLOW_CIDRS",
        "INTERLOCK_DATA_DIR",
        "INTERLOCK_RETENTION",
        "INTERLOCK_MAX_BODY_BYTES",
        "INTERLOCK_WORKERS",
        "INTERLOCK_SERVER",
        "INTERLOCK_REDIS_POOL_SIZE",
        "INTERLOCK_LOG_LEVEL",
        "INTERLOCK_LOG_FORMAT",
        "INTERLOCK_WAIT_CAP",
        "INTERLOCK_SSE_PING",
        "INTERLOCK_MAX_CONCURRENCY",
        "INTERLOCK_RETRY_SCALE",
        "INTERLOCK_SERVER_PID",  # set by `serve` for its HTTP workers (service/servers.py), not by operators
    }
)


WAIT_CAP_S = 55  # the longest a long-poll holds (the MCP tools offer the same); at most 60, below proxies' timeouts


SECRET_FIELDS = ("webhook_secret", "slack_bot_token", "slack_signing_secret", "smtp_url")  # never printed


def _refuse_unknown(env: Mapping[str, str]) -> None:
    """SettingsError for an INTERLOCK_ variable we do not know (a misspelling would otherwise go unnoticed)."""
    unknown = sorted(k for k in env if k.startswith("INTERLOCK_") and k not in KNOWN_PREFIXED)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]} (known: {', '.join(sorted(KNOWN_PREFIXED))})")


def _without_password(url: str | None) -> str | None:
    """A URL with its password (the embedded server's, an external Redis's) replaced by `***`."""
    if not url or "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    credentials, _, host = rest.rpartition("@")
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}:***@{host}"


class SettingsError(ValueError):
    """A setting is misspelled or has a value we cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the service is configured with."""

    host: str = "127.0.0.1"
    port: int = 3002
    base_url: str = "http://localhost:3002"
    keys: tuple[ApiKey, ...] = ()
    review_links: str = "open"  # "open": the agent's reviewUrl decides; "signed": only reviewers' signed links do
    metrics_public: bool = False
    require_auth: bool = False
    fsync: str = "everysec"  # the embedded server's appendfsync: everysec or always
    body_timeout_s: int = 30
    redis_url: str | None = None
    jobs_url: str | None = (
        None  # INTERLOCK_JOBS_URL: arq's job store, a standalone Redis (REDIS_URL's unless a cluster)
    )
    webhook_secret: str | None = None
    webhook_allow_cidrs: tuple[str, ...] = ()
    smtp_url: str | None = None
    smtp_from: str | None = None
    data_dir: str = "./.interlock"
    retention_ms: int = 7 * 86_400_000
    max_body_bytes: int = 64 * 1024
    workers: int = 2
    server: str = "granian"
    redis_pool_size: int = 64
    log_level: str = "INFO"
    log_format: str = "text"
    wait_cap_s: int = WAIT_CAP_S
    sse_ping_s: int = 15
    max_concurrency: int = 20_000
    retry_scale: float = 1.0
    slack_bot_token: str | None = None  # SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: both, or Slack is off
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"  # SLACK_API_URL: the Web API's base (tests: a local stand-in)

    def __repr__(self) -> str:
        """Every setting but the secrets (the keys print their labels; the rest print as `***` when set)."""
        shown = {f: getattr(self, f) for f in self.__struct_fields__}
        for secret in SECRET_FIELDS:
            shown[secret] = "***" if shown[secret] else None
        shown["redis_url"] = _without_password(self.redis_url)
        shown["jobs_url"] = _without_password(self.jobs_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def slack(self) -> bool:
        """True when Slack is configured (a bot token to post with, a secret to check its interactions)."""
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def auth_enabled(self) -> bool:
        """True when at least one API key is configured."""
        return bool(self.keys)

    @property
    def signed_links(self) -> bool:
        """True when only signed reviewer links may decide on the review page."""
        return self.review_links == "signed"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        """Build settings from an environment mapping; raise SettingsError naming a bad variable."""
        _refuse_unknown(env)
        port = _int(env, "PORT", _DEFAULT.port)
        keys = _keys(env)
        review_links = env.get("INTERLOCK_REVIEW_LINKS") or (
            "signed" if any(k.role is Role.AGENT for k in keys) else "open"
        )
        if review_links not in ("open", "signed"):
            raise SettingsError("INTERLOCK_REVIEW_LINKS must be open or signed")
        require_auth = _bool(env, "INTERLOCK_REQUIRE_AUTH")
        slack = _slack(env)
        if require_auth and not keys:
            raise SettingsError(
                "INTERLOCK_REQUIRE_AUTH is set but no key is: set API_KEY_SECRET, INTERLOCK_API_KEYS, "
                "INTERLOCK_AGENT_KEYS or INTERLOCK_REVIEWER_KEYS"
            )
        return cls(
            host=env.get("HOST", _DEFAULT.host),
            port=port,
            base_url=(env.get("LOOPIN_BASE_URL") or f"http://localhost:{port}").rstrip("/"),
            keys=keys,
            review_links=review_links,
            metrics_public=_bool(env, "INTERLOCK_METRICS_PUBLIC"),
            require_auth=require_auth,
            fsync=_choice(env, "INTERLOCK_FSYNC", ("everysec", "always"), _DEFAULT.fsync),
            body_timeout_s=_int(env, "INTERLOCK_BODY_TIMEOUT_S", _DEFAULT.body_timeout_s),
            redis_url=env.get("REDIS_URL") or None,
            jobs_url=env.get("INTERLOCK_JOBS_URL") or None,
            webhook_secret=env.get("WEBHOOK_SECRET") or None,
            webhook_allow_cidrs=_cidrs(env),
            smtp_url=env.get("SMTP_URL") or None,
            smtp_from=env.get("SMTP_FROM") or None,
            data_dir=env.get("INTERLOCK_DATA_DIR", _DEFAULT.data_dir),
            retention_ms=_retention(env),
            max_body_bytes=_int(env, "INTERLOCK_MAX_BODY_BYTES", _DEFAULT.max_body_bytes),
            workers=_int(env, "INTERLOCK_WORKERS", _DEFAULT.workers),
            server=_choice(env, "INTERLOCK_SERVER", ("granian", "uvicorn"), _DEFAULT.server),
            redis_pool_size=_int(env, "INTERLOCK_REDIS_POOL_SIZE", _DEFAULT.redis_pool_size),
            log_level=env.get("INTERLOCK_LOG_LEVEL", _DEFAULT.log_level).upper(),
            log_format=_choice(env, "INTERLOCK_LOG_FORMAT", ("text", "json"), _DEFAULT.log_format),
            wait_cap_s=_wait_cap(env),
            sse_ping_s=_int(env, "INTERLOCK_SSE_PING", _DEFAULT.sse_ping_s),
            max_concurrency=_int(env, "INTERLOCK_MAX_CONCURRENCY", _DEFAULT.max_concurrency),
            retry_scale=_scale(env),
            slack_bot_token=slack[0],
            slack_signing_secret=slack[1],
            slack_api_url=slack[2],
        )


_DEFAULT = Settings()  # every default is stated once, on its field above; from_env reads them here


def _keys(env: Mapping[str, str]) -> tuple[ApiKey, ...]:
    """Every configured key: API_KEY_SECRET and INTERLOCK_API_KEYS (admin), then the role keys."""
    found: list[ApiKey] = []
    if secret := env.get("API_KEY_SECRET", "").strip():
        found.append(ApiKey(label="admin", role=Role.ADMIN, secret=secret))
    sources = (("INTERLOCK_API_KEYS", Role.ADMIN), ("INTERLOCK_AGENT_KEYS", Role.AGENT),
               ("INTERLOCK_REVIEWER_KEYS", Role.REVIEWER))  # fmt: skip
    for name, role in sources:
        try:
            found += parse_keys(env.get(name, ""), role, labelled=role is not Role.ADMIN)
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None
    unique: dict[str, ApiKey] = {}
    for key in found:
        if key.secret in unique and unique[key.secret].role is not key.role:
            raise SettingsError(f"the key labelled {key.label!r} is configured for two roles")
        unique.setdefault(key.secret, key)
    return tuple(unique.values())


def _slack(env: Mapping[str, str]) -> tuple[str | None, str | None, str]:
    """SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (both or neither) and SLACK_API_URL."""
    token, secret = env.get("SLACK_BOT_TOKEN") or None, env.get("SLACK_SIGNING_SECRET") or None
    if (token is None) != (secret is None):
        raise SettingsError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together: set both for Slack, or neither")
    url = (env.get("SLACK_API_URL") or _DEFAULT.slack_api_url).rstrip("/") + "/"
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {url!r}")
    return token, secret, url


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    """One of `allowed` (`default` when unset)."""
    value = env.get(name) or default
    if value not in allowed:
        raise SettingsError(f"{name} must be {' or '.join(allowed)}, got {value!r}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name} must be true or false, got {raw!r}")
    return raw in ("true", "1", "yes")


def parse_duration_ms(name: str, text: str) -> int:
    """Parse `7d`, `12h`, `30m`, `45s`, `500ms` or bare seconds into milliseconds."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise SettingsError(f"{name} must be a positive duration like 7d, 12h, 30m or 45s, got {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2) or "s"]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _retention(env: Mapping[str, str]) -> int:
    """INTERLOCK_RETENTION (a duration such as `7d`) in ms."""
    raw = env.get("INTERLOCK_RETENTION")
    return parse_duration_ms("INTERLOCK_RETENTION", raw) if raw else _DEFAULT.retention_ms


def _wait_cap(env: Mapping[str, str]) -> int:
    cap = _int(env, "INTERLOCK_WAIT_CAP", _DEFAULT.wait_cap_s)
    if cap > 60:
        raise SettingsError(f"INTERLOCK_WAIT_CAP must be at most 60 seconds, got {cap}")
    return cap


def _scale(env: Mapping[str, str]) -> float:
    """INTERLOCK_RETRY_SCALE: webhook retry delays are multiplied by it (tests run the schedule in seconds)."""
    raw = env.get("INTERLOCK_RETRY_SCALE", str(_DEFAULT.retry_scale))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise SettingsError(f"INTERLOCK_RETRY_SCALE must be a number in (0, 1], got {raw!r}")
    return value


def _cidrs(env: Mapping[str, str]) -> tuple[str, ...]:
    """INTERLOCK_WEBHOOK_ALLOW_CIDRS, each entry checked to be a CIDR."""
    cidrs = _csv(env.get("INTERLOCK_WEBHOOK_ALLOW_CIDRS", ""))
    try:
        addresses.parse_networks(cidrs)
    except ValueError as exc:
        raise SettingsError(f"INTERLOCK_WEBHOOK_ALLOW_CIDRS: {exc}") from None
    return cidrs


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())
