"""Wire Structs of the interrupt API and the decoding that turns request bodies into domain values.

Compat messages come verbatim from the spec; every other rejection names the field and the rule.
"""

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Raw, UnsetType

from service import answers
from service.api.bodies import (
    ABSOLUTE_URL_PATTERN,
    MAX_USER_ID,
    EmailAddress,
    Rules,
    decode_body,
    is_null,
    is_object,
    object_or_none,
    user_id,
)
from service.domain import emails
from service.domain.errors import InvalidField
from service.domain.links import MAX_REVIEWER
from service.domain.models import Decision, NewInterrupt

REQUIRED = "agentId, userId, action, and context are required"
BAD_URGENCY = "urgency must be low, medium, or high"
BAD_DECISION = "decision must be approved or rejected"
MAX_EXPIRES_IN = 2_592_000
DEFAULT_EXPIRES_IN = 3600
MAX_REVIEWERS = 20
MIN_REMIND_EVERY = 60

CREATE_MESSAGES = {
    "agentId": "agentId must be a non-empty string",
    "userId": "userId must be a non-empty string",
    "action": "action must be a non-empty string",
    "context": "context must be a JSON object",
    "urgency": BAD_URGENCY,
    "expiresIn": f"expiresIn must be a number of seconds greater than 0 and at most {MAX_EXPIRES_IN}",
    "callbackUrl": "callbackUrl must be an absolute http or https URL",
    "reviewers": f"reviewers must be an array of 0 to {MAX_REVIEWERS} distinct email addresses",
    "onTimeout": "onTimeout must be approved or rejected",
    "responseSchema": "responseSchema must be a JSON Schema object (see the supported subset in docs/api.md)",
    "remindEvery": f"remindEvery must be a number of seconds from {MIN_REMIND_EVERY} to {MAX_EXPIRES_IN}",
    "escalateAfter": f"escalateAfter must be a number of seconds greater than 0 and at most {MAX_EXPIRES_IN}",
    "escalateTo": f"escalateTo must be an array of 1 to {MAX_REVIEWERS} distinct email addresses",
    "slackChannel": "slackChannel must be a Slack channel id or name (1 to 80 printable characters)",
}
NUDGE_RULES = {
    "escalateAfter": "escalateAfter and escalateTo go together: who is added (escalateTo), and when (escalateAfter)",
    "remindEvery": "remindEvery needs someone to remind: reviewers, escalateTo or a callbackUrl",
}
DECIDE_MESSAGES = {
    "decision": BAD_DECISION,
    "reason": "reason must be a string",
    "modifiedParams": "modifiedParams must be a JSON object",
    "response": "response must be a JSON object",
}


_DISTINCT = {"uniqueItems": True}


class CreateInterruptRequest(msgspec.Struct, kw_only=True):
    """Ask a person to approve or reject one action before the agent performs it.

    This Struct is the decoder, the validation and the schema of the body; `null` for an optional
    field means its default. What a refusal says comes from CREATE_RULES.
    """

    agentId: Annotated[str, Meta(min_length=1, description="Who is asking: the agent's id or name.")]
    userId: Annotated[
        str,
        Meta(
            min_length=1, max_length=MAX_USER_ID, description="The person who must decide (their user id; printable)."
        ),
    ]
    action: Annotated[
        str,
        Meta(min_length=1, description="What the agent wants to do, as a short imperative, e.g. 'pay invoice 4411'."),
    ]
    context: Annotated[
        Raw,
        Meta(
            description="Everything the person needs to decide: the parameters, amounts, targets, why.",
            extra_json_schema={"type": "object"},
        ),
    ]
    urgency: Annotated[
        Literal["low", "medium", "high"] | None, Meta(description="How soon a decision is needed (default medium).")
    ] = None
    expiresIn: Annotated[
        Annotated[float, Meta(gt=0, le=MAX_EXPIRES_IN)] | None,
        Meta(description=f"Seconds until the request expires undecided (default {DEFAULT_EXPIRES_IN})."),
    ] = None
    callbackUrl: Annotated[
        Annotated[str, Meta(max_length=2048, pattern=ABSOLUTE_URL_PATTERN)] | None,
        Meta(description="An http(s) URL to receive one signed webhook when decided."),
    ] = None
    reviewers: Annotated[
        Annotated[list[EmailAddress], Meta(max_length=MAX_REVIEWERS, extra_json_schema={"uniqueItems": True})] | None,
        Meta(description="Distinct email addresses (case-insensitively), each mailed its own signed link to decide."),
    ] = None
    onTimeout: Annotated[
        Literal["approved", "rejected"] | None,
        Meta(description="The decision made at the deadline if nobody decides (decidedBy `timeout`); default: none, "
             "the interrupt expires."),
    ] = None  # fmt: skip
    responseSchema: Annotated[
        Raw,
        Meta(description="A JSON Schema (draft 2020-12) of the typed answer a decision gives (`response`): an "
             "object of string, number, integer, boolean and enum-array properties; the review page shows it as "
             "a form.", extra_json_schema={"type": ["object", "null"], "default": None}),
    ] = msgspec.field(default_factory=lambda: Raw(b"null"))  # fmt: skip
    remindEvery: Annotated[
        Annotated[float, Meta(ge=MIN_REMIND_EVERY, le=MAX_EXPIRES_IN)] | None,
        Meta(description="While pending, remind its reviewers every this many seconds (mail, and a `reminder` "
             "webhook with a callbackUrl)."),
    ] = None  # fmt: skip
    escalateAfter: Annotated[
        Annotated[float, Meta(gt=0, le=MAX_EXPIRES_IN)] | None,
        Meta(description="Seconds after which, if still pending, escalateTo's addresses are added as reviewers and "
             "mailed their own links (once)."),
    ] = None  # fmt: skip
    escalateTo: Annotated[
        Annotated[list[EmailAddress], Meta(min_length=1, max_length=MAX_REVIEWERS, extra_json_schema=_DISTINCT)] | None,
        Meta(description="Who is added as a reviewer at escalateAfter (distinct email addresses)."),
    ] = None  # fmt: skip
    slackChannel: Annotated[
        Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[^\s<>&]+$")] | None,
        Meta(description="Post the request to this Slack channel (an id such as C0123, or #name) with Approve / "
             "Reject buttons; needs Slack configured on the server."),
    ] = None  # fmt: skip


class DecideRequest(msgspec.Struct, kw_only=True):
    """Record a person's decision on a pending interrupt (the decoder, validation and schema of the body)."""

    decision: Annotated[Literal["approved", "rejected"], Meta(description="The decision.")]
    reason: Annotated[str | None, Meta(description="Why, in the decider's words (optional).")] = None
    modifiedParams: Annotated[
        Raw,
        Meta(
            description="Approve with these parameters instead of the proposed ones.",
            extra_json_schema={"type": ["object", "null"], "default": None},
        ),
    ] = msgspec.field(default_factory=lambda: Raw(b"null"))
    response: Annotated[
        Raw,
        Meta(
            description="The typed answer, for an interrupt created with a responseSchema (validated against it; "
            "an approval without one answers `{}`).",
            extra_json_schema={"type": ["object", "null"], "default": None},
        ),
    ] = msgspec.field(default_factory=lambda: Raw(b"null"))


class ReviewLinkRequest(msgspec.Struct, kw_only=True):
    """POST /interrupts/{id}/review-links: who the link is for, and for how long it works."""

    reviewer: Annotated[
        str,
        Meta(
            min_length=1, max_length=MAX_REVIEWER, description="Who decides through the link (recorded as decidedBy)."
        ),
    ]
    expiresIn: (
        Annotated[int, Meta(ge=60, le=MAX_EXPIRES_IN, description="Seconds the link works (default: until the "
                            "interrupt expires).")]
        | UnsetType
    ) = UNSET  # fmt: skip


REVIEW_LINK_RULES = {
    "reviewer": f"reviewer must be a non-empty string of at most {MAX_REVIEWER} printable characters",
    "expiresIn": f"expiresIn must be a whole number of seconds from 60 to {MAX_EXPIRES_IN}",
}


CREATE_RULES = Rules(CREATE_MESSAGES, required=("agentId", "userId", "action", "context"), missing=REQUIRED)
DECIDE_RULES = Rules(DECIDE_MESSAGES)
_create_decoder = msgspec.json.Decoder(CreateInterruptRequest)
_decide_decoder = msgspec.json.Decoder(DecideRequest)


def decode_create(body: bytes) -> NewInterrupt:
    """Validate a create body into a NewInterrupt, raising InvalidField with the compat message."""
    data: CreateInterruptRequest = decode_body(_create_decoder, body, CREATE_RULES)
    context = bytes(data.context)
    if is_null(context):
        raise InvalidField(REQUIRED)
    if not is_object(context):
        raise InvalidField(CREATE_MESSAGES["context"], field="context")
    seconds = DEFAULT_EXPIRES_IN if data.expiresIn is None else data.expiresIn
    schema = object_or_none(data.responseSchema, "responseSchema", CREATE_MESSAGES)
    reviewers = (
        ()
        if data.reviewers is None
        else emails.distinct_addresses(data.reviewers, "reviewers", least=0, most=MAX_REVIEWERS)
    )
    return NewInterrupt(
        agent_id=data.agentId,
        user_id=user_id(data.userId),
        action=data.action,
        context=context.decode(),
        urgency=data.urgency or "medium",
        expires_in_ms=max(1, round(seconds * 1000)),
        callback_url=data.callbackUrl,
        reviewers=reviewers,
        on_timeout=data.onTimeout,
        response_schema=None if schema is None else answers.checked_schema(schema),
        **_nudges(data, reviewers),
        slack_channel=data.slackChannel,
    )


def _nudges(data: CreateInterruptRequest, reviewers: tuple[str, ...]) -> dict[str, Any]:
    """The reminder and escalation fields of a create (NewInterrupt's), checked as a whole."""
    if (data.escalateAfter is None) != (data.escalateTo is None):
        field = "escalateAfter" if data.escalateAfter is None else "escalateTo"
        raise InvalidField(NUDGE_RULES["escalateAfter"], field=field)
    escalate_to = (
        () if data.escalateTo is None
        else emails.distinct_addresses(data.escalateTo, "escalateTo", least=1, most=MAX_REVIEWERS)
    )  # fmt: skip
    if data.remindEvery is not None and not (reviewers or escalate_to or data.callbackUrl):
        raise InvalidField(NUDGE_RULES["remindEvery"], field="remindEvery")
    return {
        "remind_every_ms": None if data.remindEvery is None else round(data.remindEvery * 1000),
        "escalate_after_ms": None if data.escalateAfter is None else max(1, round(data.escalateAfter * 1000)),
        "escalate_to": escalate_to,
    }


_review_link_decoder = msgspec.json.Decoder(ReviewLinkRequest)


def decode_review_link(body: bytes) -> ReviewLinkRequest:
    """Validate a review-link body: a printable reviewer name and an optional lifetime."""
    wanted: ReviewLinkRequest = decode_body(_review_link_decoder, body, REVIEW_LINK_RULES)
    if not wanted.reviewer.isprintable() or not wanted.reviewer.strip():
        raise InvalidField(REVIEW_LINK_RULES["reviewer"], field="reviewer")
    return wanted


def decode_decision(body: bytes) -> Decision:
    """Validate a decide body into a Decision."""
    data: DecideRequest = decode_body(_decide_decoder, body, DECIDE_RULES)
    params = object_or_none(data.modifiedParams, "modifiedParams", DECIDE_MESSAGES)
    response = object_or_none(data.response, "response", DECIDE_MESSAGES)
    return Decision(
        decision=data.decision,
        reason=data.reason,
        modified_params=None if params is None else params.decode(),
        response=None if response is None else response.decode(),
    )
