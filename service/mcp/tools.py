"""The tool catalogue: what each tool calls, its description for a model, and its schemas from the API's Structs.

A tool's input is its path ids (required strings, listed first, as the original's `required` arrays) plus
the fields of the request Struct the REST route documents; its output schema is the route's answer Struct.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from service.api import access, responses, schemas
from service.api import loop_schemas as ls
from service.domain.roles import Role
from service.settings import WAIT_CAP_S

WAIT_MAX_S = WAIT_CAP_S  # a tool waits as long as the API holds a long-poll by default


class PendingQuery(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Paging of a pending list."""

    limit: Annotated[int, Meta(ge=1, le=100, description="How many to return (default 20).")] | UnsetType = UNSET
    cursor: Annotated[str, Meta(description="nextCursor of the previous page, to read on.")] | UnsetType = UNSET


class PendingPage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A page of a user's pending interrupts, newest first."""

    interrupts: list[responses.PendingItem]
    nextCursor: str | UnsetType = UNSET


class CreatedLoop(msgspec.Struct, kw_only=True):
    """The created loop with each participant's links."""

    loop_data: ls.LoopData


class WaitQuery(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Which request to wait for, and for how long."""

    interruptId: Annotated[str, Meta(min_length=1, description="The interrupt to wait for.")] | UnsetType = UNSET
    loopId: Annotated[str, Meta(min_length=1, description="Or the loop to wait for.")] | UnsetType = UNSET
    timeoutSeconds: Annotated[
        float, Meta(gt=0, le=WAIT_MAX_S, description=f"How long to wait at most (default and maximum {WAIT_MAX_S}).")
    ] = WAIT_MAX_S


class LoopStatusEnvelope(msgspec.Struct):
    """The status route's envelope, decoded for its data."""

    data: ls.LoopStatus


class WaitOutcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The final state, or still pending with what to do next."""

    finished: bool
    status: str
    interruptId: str | UnsetType = UNSET
    loopId: str | UnsetType = UNSET
    interrupt: responses.InterruptResponse | UnsetType = UNSET
    loop: ls.LoopStatus | UnsetType = UNSET
    instruction: str | UnsetType = UNSET


def _identity(data: Any) -> Any:
    return data


def _loop_data(envelope: Any) -> Any:
    return envelope["data"]


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool: the REST call it makes and the types that describe it (its role is that of its route)."""

    name: str
    description: str
    method: str
    path: str
    output: Any
    ids: tuple[tuple[str, str], ...] = ()
    body: type[msgspec.Struct] | None = None
    query: type[msgspec.Struct] | None = None
    shape: Callable[[Any], Any] = field(default=_identity)


_INTERRUPT_ID = ("interruptId", "The id returned by create_interrupt.")
_USER_ID = ("userId", "The person's user id.")
_LOOP_ID = ("loopId", "The loop_id returned by create_loop.")

CATALOGUE: tuple[Tool, ...] = (
    Tool(
        name="create_interrupt",
        description=(
            "Ask a human to approve or reject an action BEFORE you perform it. Use it for anything "
            "irreversible, costly or sensitive: payments, deletions, sending messages for someone, "
            "deployments, access changes. Put everything the person needs to decide in `context`. "
            "Returns an interruptId and a reviewUrl to share with the person; then call "
            "wait_for_decision and do not perform the action unless the status becomes 'approved' "
            "(use modifiedParams instead of your own parameters when the answer has them). To ask for "
            "more than yes/no, give a responseSchema (a JSON Schema object): the answer comes back as `response`."
        ),
        method="POST",
        path="/interrupts",
        body=schemas.CreateInterruptRequest,
        output=responses.CreatedResponse,
    ),
    Tool(
        name="get_interrupt_status",
        description=(
            "Read an interrupt now: status pending, approved, rejected, expired or cancelled, with the "
            "decision, reason and modifiedParams once decided. To wait for the decision, prefer wait_for_decision."
        ),
        method="GET",
        path="/interrupts/{interruptId}",
        ids=(_INTERRUPT_ID,),
        output=responses.InterruptResponse,
    ),
    Tool(
        name="list_pending_interrupts",
        description="List the interrupts waiting for a person's decision, newest first (paged by nextCursor).",
        method="GET",
        path="/interrupts/pending/{userId}",
        ids=(_USER_ID,),
        query=PendingQuery,
        output=PendingPage,
    ),
    Tool(
        name="decide_interrupt",
        description=(
            "Record a human's decision on a pending interrupt: 'approved' or 'rejected', with an optional "
            "reason and, to approve with changes, modifiedParams. When the interrupt has a responseSchema, "
            "pass the person's answer as `response` (validated against it). Only call this on a person's "
            "explicit instruction; never approve your own request."
        ),
        method="POST",
        path="/interrupts/{interruptId}/decide",
        ids=(_INTERRUPT_ID,),
        body=schemas.DecideRequest,
        output=responses.DecidedResponse,
    ),
    Tool(
        name="cancel_interrupt",
        description="Withdraw a pending interrupt you no longer need (the action will not be performed).",
        method="DELETE",
        path="/interrupts/{interruptId}",
        ids=(_INTERRUPT_ID,),
        output=responses.CancelledResponse,
    ),
    Tool(
        name="get_interrupt_analytics",
        description="A person's decision statistics: totals by status and urgency, approval rate, response time.",
        method="GET",
        path="/analytics/{userId}",
        ids=(_USER_ID,),
        output=responses.AnalyticsResponse,
    ),
    Tool(
        name="create_loop",
        description=(
            "Ask several people at once (by email) and get one outcome: policy 'all' (everyone must "
            "accept, the default), 'any' (one accept suffices) or {'quorum': k}. Each participant gets "
            "accept/reject links (emailed when the server has SMTP). Then call wait_for_decision with the loop_id."
        ),
        method="POST",
        path="/v1/loop/create",
        body=ls.CreateLoopRequest,
        output=CreatedLoop,
        shape=_loop_data,
    ),
    Tool(
        name="get_loop_status",
        description="Where a loop stands now: PENDING or RESOLVED, with each participant's vote once resolved.",
        method="GET",
        path="/v1/loop/status/{loopId}",
        ids=(_LOOP_ID,),
        output=ls.LoopStatus,
        shape=_loop_data,
    ),
    Tool(
        name="get_loop_result",
        description="The result of a resolved loop: its status, message and every participant's decision.",
        method="GET",
        path="/v1/loop/result/{loopId}",
        ids=(_LOOP_ID,),
        output=ls.LoopResultData,
        shape=_loop_data,
    ),
)

WAIT_DESCRIPTION = (
    "Wait for a human's decision on an interrupt (interruptId) or a loop (loopId), up to "
    f"timeoutSeconds (at most {WAIT_MAX_S}). Returns the final state as soon as it is decided. If "
    "nobody has decided yet it returns finished=false with the id: call wait_for_decision again "
    "with the same id to keep waiting, as often as needed; do not perform the action meanwhile."
)
BY_NAME = {tool.name: tool for tool in CATALOGUE}
NAMES = (*BY_NAME, "wait_for_decision")


def struct_schema(struct: Any) -> dict[str, Any]:
    """The JSON Schema of a Struct with its own definition at the top (other $defs kept when referenced)."""
    schema: dict[str, Any] = msgspec.json.schema(struct)
    defs: dict[str, Any] = schema.pop("$defs", {})
    ref = schema.get("$ref", "")
    top = dict(defs.pop(ref.rsplit("/", 1)[-1])) if ref else schema
    top.pop("title", None)
    if defs:
        top["$defs"] = defs
    return top


def input_schema(tool: Tool) -> dict[str, Any]:
    """Ids first (all required), then the body or query fields."""
    properties: dict[str, Any] = {
        name: {"type": "string", "minLength": 1, "description": text} for name, text in tool.ids
    }
    required = [name for name, _ in tool.ids]
    extra: dict[str, Any] = {}
    struct = tool.body or tool.query
    if struct is not None:
        rest = struct_schema(struct)
        properties.update(rest.get("properties", {}))
        required += rest.get("required", [])
        extra = {k: v for k, v in rest.items() if k == "$defs"}
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


def wait_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """Input and output schemas of wait_for_decision."""
    return struct_schema(WaitQuery), struct_schema(WaitOutcome)


WAIT_ROUTE = ("GET", "/interrupts/{interruptId}")  # what wait_for_decision needs at least (loop status is public)


def role_of(method: str, path: str) -> Role:
    """The role the API route a tool calls needs (from the one access table)."""
    return access.required(access.ACCESS, path, method)
