"""HMAC tokens with the secret every API process and worker shares: page forms, inbox and review links."""

import base64
import hmac
from collections.abc import Awaitable, Callable


class Signer:
    """Tokens bound to one scope (`review:<id>`, an inbox, a review link), signed with a secret every process shares."""

    def __init__(self, fetch_secret: Callable[[], Awaitable[str]]) -> None:
        self._fetch = fetch_secret
        self._key: bytes | None = None

    async def token(self, scope: str) -> str:
        """The token for `scope` (URL-safe base64 of an HMAC-SHA256)."""
        if self._key is None:
            self._key = (await self._fetch()).encode()
        digest = hmac.digest(self._key, scope.encode(), "sha256")
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def is_valid(self, scope: str, token: str | None) -> bool:
        """True when `token` is the one for `scope` (constant-time; any text, ASCII or not, is just wrong)."""
        if not token:
            return False
        expected = (await self.token(scope)).encode()
        return hmac.compare_digest(expected, token.encode("utf-8", "replace"))


def is_number(text: str) -> bool:
    """True for a non-empty run of ASCII digits (`str.isdigit` also passes `²` and other digits `int` refuses)."""
    return text.isascii() and text.isdigit()
