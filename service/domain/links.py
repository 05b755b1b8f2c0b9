"""Signed review links: a token that lets one named reviewer decide one interrupt until it expires.

The token is `<expires ms>.<channel>.<mac>`, the mac an HMAC (the page secret every API process
shares) over the interrupt, the reviewer, the expiry and the channel the link was handed out
through (`review-page` when minted, `email` when mailed, `inbox` from an inbox), so none of
them can be changed without the link breaking.
"""

from urllib.parse import urlencode

from service.domain.models import Actor
from service.domain.tokens import Signer, is_number

CHANNELS = frozenset({"review-page", "email", "inbox"})
MAX_REVIEWER = 254


class ReviewLinks:
    """Mints and checks signed review links."""

    def __init__(self, tokens: Signer, base_url: str) -> None:
        self._tokens = tokens
        self._base = base_url

    async def fields(self, interrupt_id: str, reviewer: str, expires_ms: int, via: str) -> dict[str, str]:
        """The link's `reviewer` and `token`: as a query they make /review/{id} a link, as form fields its form's."""
        mac = await self._tokens.token(_scope(interrupt_id, reviewer, expires_ms, via))
        return {"reviewer": reviewer, "token": f"{expires_ms}.{via}.{mac}"}

    async def query(self, interrupt_id: str, reviewer: str, expires_ms: int, via: str) -> str:
        """The query string (`reviewer=…&token=…`) that makes /review/{id} a link for `reviewer`."""
        return urlencode(await self.fields(interrupt_id, reviewer, expires_ms, via))

    async def url(self, interrupt_id: str, reviewer: str, expires_ms: int, via: str) -> str:
        """The whole link."""
        return f"{self._base}/review/{interrupt_id}?{await self.query(interrupt_id, reviewer, expires_ms, via)}"

    async def check(
        self, interrupt_id: str, reviewer: str | None, token: str | None, now_ms: int
    ) -> tuple[Actor | None, str | None]:
        """(who may decide through this link, why not): both None when the request carries no link."""
        if not token and not reviewer:
            return None, None
        if not token or not reviewer or len(reviewer) > MAX_REVIEWER:
            return None, "This review link is incomplete. Open it exactly as it was sent to you."
        expires, _, rest = token.partition(".")
        via, _, mac = rest.partition(".")
        scope = _scope(interrupt_id, reviewer, expires, via)
        if not is_number(expires) or via not in CHANNELS or not await self._tokens.is_valid(scope, mac):
            return None, "This review link is not valid. Ask for a new one."
        if int(expires) <= now_ms:
            return None, "This review link has expired. Ask for a new one."
        return Actor(by=reviewer, via=via), None


def _scope(interrupt_id: str, reviewer: str, expires: int | str, via: str) -> str:
    """What a review link's token signs."""
    return f"review-link:{interrupt_id}:{expires}:{via}:{reviewer}"
