"""The MCP server: lists the catalogue and runs a tool call as one REST call (or a long-poll, for waits)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import mcp_types as types
import msgspec
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.jsonrpc_dispatcher import progress_token_from_params

from service import VERSION
from service.api import responses
from service.domain.roles import Role
from service.mcp import tools
from service.mcp.client import ApiError, InterlockApi

log = logging.getLogger(__name__)
INSTRUCTIONS = (
    "Interlock puts a human in the loop. Before any irreversible, costly or sensitive action, call "
    "create_interrupt (one person) or create_loop (several people), then wait_for_decision until it is "
    "finished, and act only on an approval."
)
Credentials = Callable[[ServerRequestContext[Any]], dict[str, str]]
Progress = Callable[[float, float | None, str | None], Awaitable[None]]  # (progress, total, message)
PROGRESS_EVERY_S = 5.0  # a wait tells a client that asked for progress that it is still waiting this often
T = TypeVar("T")


async def no_progress(progress: float, total: float | None = None, message: str | None = None) -> None:
    """For callers that report progress nowhere."""


def progress_reporter(ctx: ServerRequestContext[Any]) -> Progress:
    """`notifications/progress` for this request when its caller sent a progress token, else nothing."""
    token = progress_token_from_params(ctx.params)
    if token is None:
        return no_progress
    request_id = None if ctx.request_id is None else str(ctx.request_id)  # on this request's own stream

    async def report(progress: float, total: float | None = None, message: str | None = None) -> None:
        await ctx.session.send_progress_notification(token, progress, total, message, related_request_id=request_id)

    return report


async def with_progress(work: Awaitable[T], report: Progress, total: float, message: str) -> T:
    """Await `work`, reporting the seconds waited so far at once and then every PROGRESS_EVERY_S.

    MCP clients that sent a progress token get `notifications/progress` (clients may keep a long
    call alive on them); for others `report` does nothing. A failed report never fails the wait.
    """
    task = asyncio.ensure_future(work)
    started = time.monotonic()
    try:
        while True:
            try:
                await report(round(time.monotonic() - started, 1), total, message)
            except Exception:  # the client went away or cannot take notifications: keep waiting all the same
                log.debug("progress report failed", exc_info=True)
            done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY_S)
            if done:
                return task.result()
    finally:
        task.cancel()  # only does something when we were cancelled first


def no_credentials(_: ServerRequestContext[Any]) -> dict[str, str]:
    """For a client whose API key is already in its default headers (stdio)."""
    return {}


def forwarded_credentials(ctx: ServerRequestContext[Any]) -> dict[str, str]:
    """The caller's own API key headers, for calls made on its behalf (streamable HTTP)."""
    request = ctx.request
    headers: Mapping[str, str] = getattr(request, "headers", None) or {}
    return {name: headers[name] for name in ("x-api-key", "authorization") if name in headers}


def _listing() -> list[tuple[Role, types.Tool]]:
    """Every tool with the role its API route needs."""
    listed = [
        (
            tools.role_of(tool.method, tool.path),
            types.Tool(
                name=tool.name,
                description=tool.description,
                input_schema=tools.input_schema(tool),
                output_schema=tools.struct_schema(tool.output),
            ),
        )
        for tool in tools.CATALOGUE
    ]
    wait_in, wait_out = tools.wait_schemas()
    wait = types.Tool(
        name="wait_for_decision", description=tools.WAIT_DESCRIPTION, input_schema=wait_in, output_schema=wait_out
    )
    return [*listed, (tools.role_of(*tools.WAIT_ROUTE), wait)]


async def caller_role(api: InterlockApi, headers: dict[str, str]) -> Role:
    """The role of the caller's key, as the API tells it; the least role when it cannot be learned."""
    try:
        answer = await api.call("GET", "/whoami", headers=headers, seconds=10)
        return Role[str(answer.data["role"]).upper()]
    except (ApiError, KeyError, TypeError):
        return Role.AGENT  # a bad key or an API not up yet: list what any key may call, the calls say the rest


def failure(text: str) -> types.CallToolResult:
    """A tool error the model can read and act on."""
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def success(data: Any, summary: str | None = None) -> types.CallToolResult:
    """Structured content, mirrored as JSON text for clients that only read text."""
    text = msgspec.json.encode(data).decode()
    plain = msgspec.json.decode(text)  # plain JSON values, with Raw fields (context) parsed
    if summary:
        text = f"{summary}\n{text}"
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=plain)


class BadArguments(Exception):
    """A tool call whose arguments cannot even make a request."""


def _ids(tool: tools.Tool, arguments: dict[str, Any]) -> dict[str, str]:
    values = {}
    for name, _ in tool.ids:
        value = arguments.get(name)
        if not isinstance(value, str) or not value:
            raise BadArguments(f"{name} is required and must be a non-empty string")
        values[name] = quote(value, safe="")
    return values


async def run_tool(
    api: InterlockApi, tool: tools.Tool, arguments: dict[str, Any], headers: dict[str, str]
) -> types.CallToolResult:
    """One REST call with the ids in the path and the other arguments as body or query."""
    ids = _ids(tool, arguments)
    rest = {k: v for k, v in arguments.items() if k not in ids}
    answer = await api.call(
        tool.method,
        tool.path.format(**ids),
        body=rest if tool.body is not None else None,
        params=(rest or None) if tool.query is not None else None,
        headers=headers,
    )
    data = tool.shape(answer.data)
    if tool.output is tools.PendingPage:
        cursor = answer.headers.get("x-next-cursor")
        data = tools.PendingPage(interrupts=data, nextCursor=cursor or msgspec.UNSET)
    return success(data)


async def wait_for_decision(
    api: InterlockApi, arguments: dict[str, Any], headers: dict[str, str], report: Progress = no_progress
) -> types.CallToolResult:
    """Long-poll the interrupt or loop for at most timeoutSeconds; 'still pending' tells the model to call again.

    Progress (seconds waited of timeoutSeconds) goes to `report` while the long-poll is held.
    """
    try:
        query = msgspec.convert(arguments, tools.WaitQuery)
    except msgspec.ValidationError as exc:
        return failure(f"Invalid arguments: {exc}")
    if (query.interruptId is msgspec.UNSET) == (query.loopId is msgspec.UNSET):
        return failure("Give exactly one of interruptId or loopId.")
    seconds = query.timeoutSeconds
    if isinstance(query.interruptId, str):
        answer = await with_progress(
            api.call("GET", f"/interrupts/{quote(query.interruptId, safe='')}", params={"wait": seconds},
                     headers=headers, seconds=seconds + 15),
            report, seconds, f"Waiting for a human decision on interrupt {query.interruptId}",
        )  # fmt: skip
        view = msgspec.json.decode(answer.content, type=responses.InterruptResponse)
        outcome = tools.WaitOutcome(
            finished=view.status != "pending", status=view.status, interruptId=view.interruptId, interrupt=view
        )
        again = f"interruptId={view.interruptId!r}"
    else:
        loop_id = str(query.loopId)
        answer = await with_progress(
            api.call("GET", f"/v1/loop/status/{quote(loop_id, safe='')}", params={"wait": seconds},
                     headers=headers, seconds=seconds + 15),
            report, seconds, f"Waiting for the participants of loop {loop_id}",
        )  # fmt: skip
        status = msgspec.json.decode(answer.content, type=tools.LoopStatusEnvelope).data
        outcome = tools.WaitOutcome(finished=status.resolved, status=status.status, loopId=loop_id, loop=status)
        again = f"loopId={loop_id!r}"
    if outcome.finished:
        return success(outcome, f"Decided: {outcome.status}.")
    outcome.instruction = (
        f"Still pending after {seconds:g} s: no decision yet. Call wait_for_decision again with {again} "
        "to keep waiting; do not perform the action meanwhile."
    )
    return success(outcome, outcome.instruction)


def build_server(api: InterlockApi, credentials: Credentials = no_credentials) -> Server[Any]:
    """The low-level MCP server over `api`; `credentials` picks the auth headers of each call."""
    listing = _listing()

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        role = await caller_role(api, credentials(ctx))  # a caller sees only the tools its key may use
        return types.ListToolsResult(tools=[tool for needed, tool in listing if needed <= role])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        headers = credentials(ctx)
        try:
            if params.name == "wait_for_decision":
                return await wait_for_decision(api, arguments, headers, progress_reporter(ctx))
            tool = tools.BY_NAME.get(params.name)
            if tool is None:
                return failure(f"Unknown tool: {params.name}")
            return await run_tool(api, tool, arguments, headers)
        except ApiError as exc:
            return failure(str(exc))
        except BadArguments as exc:
            return failure(f"Invalid arguments: {exc}")
        except Exception as exc:  # a bug here must read as a tool error, not a protocol failure
            log.exception("tool %s failed", params.name)
            return failure(f"{params.name} failed inside Interlock's MCP server ({type(exc).__name__}); see its log")

    return Server(
        "interlock",
        version=VERSION,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
