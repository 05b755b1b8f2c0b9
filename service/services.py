"""The per-process services a request handler may use, kept on the app's state."""

from dataclasses import dataclass
from typing import Any

from litestar import Request
from slack_sdk.signature import SignatureVerifier

from service.clock import Clock
from service.domain import addresses
from service.domain.errors import InvalidField
from service.domain.links import ReviewLinks
from service.domain.tokens import Signer
from service.settings import Settings
from service.store.deliveries import DeliveryStore
from service.store.health import HealthProbe
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.slack import SlackStore
from service.waiting.hub import WaiterHub
from service.waiting.inboxes import InboxSources
from service.web.inbox_feed import FeedCache


@dataclass(slots=True)
class Services:
    """What handlers call: the stores, the clock and the settings."""

    settings: Settings
    clock: Clock
    interrupts: InterruptStore
    health: HealthProbe
    deliveries: DeliveryStore
    loops: LoopStore
    hub: WaiterHub
    signer: Signer
    links: ReviewLinks
    history: HistoryStore
    inboxes: InboxSources
    inbox_cache: FeedCache
    allowed_callbacks: tuple[addresses.Network, ...]  # INTERLOCK_WEBHOOK_ALLOW_CIDRS, parsed once
    slack: SlackStore
    slack_verifier: SignatureVerifier | None  # checks Slack's request signatures; None: Slack is off

    def check_slack(self, channel: str | None) -> None:
        """Refuse (400) a slackChannel when this server has no Slack app configured to post it."""
        if channel is not None and not self.settings.slack:
            raise InvalidField("slackChannel needs Slack on this server (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)",
                               field="slackChannel")  # fmt: skip

    def check_callback(self, url: str | None, field: str) -> None:
        """Refuse (400 naming `field`) a callback whose host is a literal address webhooks may not reach."""
        refused = addresses.literal_refusal(url, self.allowed_callbacks) if url else None
        if refused:
            raise InvalidField(f"{field} is not allowed: {refused}", field=field)


def services(request: Request[Any, Any, Any]) -> Services:
    """The Services of the app serving `request`."""
    found: Services = request.app.state.services
    return found
