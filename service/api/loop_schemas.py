"""Wire Structs of the loop API (intheloop.run field names); the create body's Struct is its decoder and schema."""

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service.api.bodies import ABSOLUTE_URL_PATTERN, EmailAddress, Rules, decode_body
from service.domain import emails
from service.domain.errors import InvalidField
from service.domain.loops import NewLoop

MAX_PARTICIPANTS = 100
MAX_TIMEOUT_MS = 2_592_000_000  # 30 days, as for interrupts


class Quorum(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Decided once k participants accept (or once k can no longer accept)."""

    quorum: Annotated[int, Meta(ge=1, le=MAX_PARTICIPANTS, description="How many acceptances decide the loop.")]


class CreateLoopRequest(msgspec.Struct, kw_only=True):
    """Ask several people at once; each gets accept/reject links and the loop resolves to one outcome.

    This Struct is the decoder, the validation and the schema of the body, but for one rule a schema
    cannot state: a quorum's k is at most the number of participants. Refusals say LOOP_RULES.
    """

    participants: Annotated[
        list[EmailAddress],
        Meta(
            min_length=1,
            max_length=MAX_PARTICIPANTS,
            extra_json_schema={"uniqueItems": True},
            description="The deciders' email addresses, distinct (case-insensitively).",
        ),
    ]
    loop_name: Annotated[
        str, Meta(min_length=1, max_length=200, pattern=r"\S", description="A short title of what is asked.")
    ]
    loop_description: Annotated[
        str, Meta(max_length=10_000, description="What the participants are deciding, with the details they need.")
    ]
    participant_timeout: Annotated[
        int, Meta(ge=1, le=MAX_TIMEOUT_MS, description="Milliseconds each participant has before their vote times out.")
    ]
    policy: Annotated[
        Literal["all", "any"] | Quorum,
        Meta(description='"all" must accept (default), "any" one accept suffices, or {"quorum": k}.'),
    ] = "all"
    callback_url: Annotated[
        Annotated[str, Meta(max_length=2048, pattern=ABSOLUTE_URL_PATTERN)] | None,
        Meta(description="An http(s) URL to receive one signed webhook when decided."),
    ] = None


POLICY_RULE = 'policy must be "all", "any" or {{"quorum": k}} with k between 1 and {n}'
LOOP_RULES = Rules(
    {
        "participants": f"participants must be an array of 1 to {MAX_PARTICIPANTS} distinct email addresses",
        "loop_name": "loop_name must be a non-empty string of at most 200 characters",
        "loop_description": "loop_description must be a string of at most 10000 characters",
        "participant_timeout": (
            f"participant_timeout must be a positive integer of milliseconds, at most {MAX_TIMEOUT_MS}"
        ),
        "policy": POLICY_RULE.format(n="the number of participants"),
        "callback_url": "callback_url must be an absolute http or https URL",
    }
)
_loop_decoder = msgspec.json.Decoder(CreateLoopRequest)
_any_decoder = msgspec.json.Decoder()


class ParticipantLinks(msgspec.Struct, kw_only=True):
    """One participant of a created loop with their two links."""

    email: str
    promise_id: str
    accept_link: str
    reject_link: str


class LoopData(msgspec.Struct, kw_only=True):
    """data.loop_data of a create."""

    loop_id: str
    loop_name: str
    loop_description: str
    participant_timeout: int
    participants: list[ParticipantLinks]
    policy: Literal["all", "any"] | Quorum = "all"


class ParticipantResult(msgspec.Struct, kw_only=True):
    """One participant in a loop's result, in input order."""

    email: str
    promise_id: str
    accept: bool | None
    state: str


class LoopResult(msgspec.Struct, kw_only=True):
    """A decided loop's result."""

    status: str
    message: str
    results: list[ParticipantResult]


class Invitation(msgspec.Struct, kw_only=True):
    """One participant's email invitation: pending, sent, retrying, failed or skipped (loop already over)."""

    email: str
    state: str
    attempts: int


class LoopStatus(msgspec.Struct, kw_only=True, omit_defaults=True):
    """data of GET /v1/loop/status/{loopId} (`invitations` only when the loop was sent by email)."""

    loop_id: str
    state: str
    resolved: bool
    status: str
    message: str
    result: LoopResult | None
    invitations: list[Invitation] | None = None


class LoopResultData(msgspec.Struct, kw_only=True):
    """data of GET /v1/loop/result/{loopId}."""

    loop_id: str
    state: str
    result: LoopResult


class ResolveData(msgspec.Struct, kw_only=True):
    """data of a resolve."""

    promise_id: str
    state: str


class Envelope(msgspec.Struct, kw_only=True):
    """The intheloop.run response envelope."""

    success: bool
    message: str
    data: Any


def json_object(body: bytes) -> dict[str, Any]:
    """A resolve body (checked strict by whoever read it) as a JSON object; MalformedJson or InvalidField otherwise."""
    data = decode_body(_any_decoder, body, LOOP_RULES)
    if not isinstance(data, dict):
        raise InvalidField("request body must be a JSON object")
    return data


def decode_loop(body: bytes) -> NewLoop:
    """Validate a create body into a NewLoop; InvalidField names the field and its rule."""
    data: CreateLoopRequest = decode_body(_loop_decoder, body, LOOP_RULES)
    participants = emails.distinct_addresses(data.participants, "participants", least=1, most=MAX_PARTICIPANTS)
    if isinstance(data.policy, Quorum) and data.policy.quorum > len(participants):
        raise InvalidField(f"{POLICY_RULE.format(n=len(participants))} (the participants)", field="policy")
    return NewLoop(
        name=data.loop_name,
        description=data.loop_description,
        participants=participants,
        timeout_ms=data.participant_timeout,
        policy=data.policy if isinstance(data.policy, str) else f"quorum:{data.policy.quorum}",
        callback_url=data.callback_url,
    )


def decode_accept(raw: object) -> bool:
    """`accept` from a query string, form field or JSON value: true/false only."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidField("accept must be true or false", field="accept")


def policy_view(policy: str) -> Literal["all", "any"] | Quorum:
    """The policy as the create body spelled it."""
    if policy.startswith("quorum:"):
        return Quorum(quorum=int(policy.removeprefix("quorum:")))
    return "any" if policy == "any" else "all"
