"""Wire Structs of the loop API (intheloop.run field names) and the validation of its request bodies."""

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from service.api.schemas import ABSOLUTE_URL
from service.domain import emails
from service.domain.errors import InvalidField, MalformedJson
from service.domain.loops import NewLoop

MAX_PARTICIPANTS = 100
MAX_TIMEOUT_MS = 2_592_000_000  # 30 days, as for interrupts
_any_decoder = msgspec.json.Decoder()


class Quorum(msgspec.Struct, kw_only=True):
    """Decided once k participants accept (or once k can no longer accept)."""

    quorum: Annotated[int, Meta(ge=1, le=MAX_PARTICIPANTS, description="How many acceptances decide the loop.")]


class CreateLoopRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Ask several people at once; each gets accept/reject links and the loop resolves to one outcome."""

    participants: Annotated[
        list[Annotated[str, Meta(max_length=254)]],
        Meta(min_length=1, max_length=MAX_PARTICIPANTS, description="The deciders' email addresses, distinct."),
    ]
    loop_name: Annotated[str, Meta(min_length=1, max_length=200, description="A short title of what is asked.")]
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
    callback_url: (
        Annotated[str, Meta(max_length=2048, description="An http(s) URL to receive one signed webhook when decided.")]
        | UnsetType
    ) = UNSET


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
    """The body (checked strict by whoever read it) as a JSON object; MalformedJson or InvalidField otherwise."""
    try:
        data = _any_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidField("request body must be a JSON object")
    return data


def _text(data: dict[str, Any], name: str, *, limit: int, empty_ok: bool) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (not empty_ok and not value.strip()) or len(value) > limit:
        rule = "a string" if empty_ok else "a non-empty string"
        raise InvalidField(f"{name} must be {rule} of at most {limit} characters", field=name)
    return value


def _participants(data: dict[str, Any]) -> tuple[str, ...]:
    return emails.distinct_addresses(data.get("participants"), "participants", least=1, most=MAX_PARTICIPANTS)


def _timeout(data: dict[str, Any]) -> int:
    value = data.get("participant_timeout")
    if type(value) is not int or not 0 < value <= MAX_TIMEOUT_MS:
        raise InvalidField(
            f"participant_timeout must be a positive integer of milliseconds, at most {MAX_TIMEOUT_MS}",
            field="participant_timeout",
        )
    return value


def _policy(data: dict[str, Any], n: int) -> str:
    value = data.get("policy", "all")
    if value in ("all", "any"):
        return str(value)
    k = value.get("quorum") if isinstance(value, dict) and len(value) == 1 else None
    if type(k) is not int or not 1 <= k <= n:
        raise InvalidField(
            f'policy must be "all", "any" or {{"quorum": k}} with k between 1 and {n} (the participants)',
            field="policy",
        )
    return f"quorum:{k}"


def decode_loop(body: bytes) -> NewLoop:
    """Validate a create body into a NewLoop; InvalidField names the field and its rule."""
    data = json_object(body)
    participants = _participants(data)
    callback = data.get("callback_url")
    if callback is not None and (
        not isinstance(callback, str) or len(callback) > 2048 or not ABSOLUTE_URL.match(callback)
    ):
        raise InvalidField("callback_url must be an absolute http or https URL", field="callback_url")
    return NewLoop(
        name=_text(data, "loop_name", limit=200, empty_ok=False),
        description=_text(data, "loop_description", limit=10_000, empty_ok=True),
        participants=participants,
        timeout_ms=_timeout(data),
        policy=_policy(data, len(participants)),
        callback_url=callback,
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
