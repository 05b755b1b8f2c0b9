"""Checking that a callback really comes from your Interlock (Standard Webhooks signatures)."""

from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from interlock_client.errors import InvalidWebhook


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> dict[str, Any]:
    """The callback's JSON once its signature checks out with `secret` (the `whsec_…` the worker signs with).

    Raises InvalidWebhook when a `webhook-*` header is missing or malformed, no signature matches,
    or the timestamp is more than five minutes away (a replay). Dedupe deliveries on `webhook-id`:
    it is the same on every retry of one event.
    """
    verifier = Webhook(secret)  # a secret that is not base64 is a configuration error: ValueError, not InvalidWebhook
    try:
        payload = verifier.verify(body, dict(headers))
    except (WebhookVerificationError, ValueError) as error:
        raise InvalidWebhook(str(error) or "the signature does not match") from error
    if not isinstance(payload, dict):
        raise InvalidWebhook("the body is not a JSON object")
    return payload
