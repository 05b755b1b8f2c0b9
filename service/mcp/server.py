"""The MCP server: lists the catalogue and runs a tool call as one REST call (or a long-poll, for waits)."""

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import mcp_types as types
import msgspec
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from service import VERSION
from service.api import schemas
from service.mcp import tools
from service.mcp.client import ApiError, InterlockApi

log = logging.getLogger(__name__)
INSTRUCTIONS = (
    "Interlock puts a human in the loop. Before any irreversible, costly or sensitive action, call "
    "create_interrupt (one person) or create_loop (several people), then wait_for_decision until it is "
    "finished, and act only on an approval."
)
Credentials = Callable[[ServerRequestContext[Any]], dict[str, str]]


def no_credentials(_: ServerRequestContext[Any]) -> dict[str, str]:
    """For a client whose API key is already in its default headers (stdio)."""
    return {}


def forwarded_credentials(ctx: ServerRequestContext[Any]) -> dict[str, str]:
    """The caller's own API key headers, for calls made on its behalf (streamable HTTP)."""
    request = ctx.request
    headers: Mapping[str, str] = getattr(request, "headers", None) or {}
    return {name: headers[name] for name in ("x-api-key", "authorization") if name in headers}


def _listing() -> list[types.Tool]:
    listed = [
        types.Tool(
            name=tool.name,
            description=tool.description,
            input_schema=tools.input_schema(tool),
            output_schema=tools.struct_schema(tool.output),
        )
        for tool in tools.CATALOGUE
    ]
    wait_in, wait_out = tools.wait_schemas()
    wait = types.Tool(
        name="wait_for_decision", description=tools.WAIT_DESCRIPTION, input_schema=wait_in, output_schema=wait_out
    )
    return [*listed, wait]


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
    api: InterlockApi, arguments: dict[str, Any], headers: dict[str, str]
) -> types.CallToolResult:
    """Long-poll the interrupt or loop for at most timeoutSeconds; 'still pending' tells the model to call again."""
    try:
        query = msgspec.convert(arguments, tools.WaitQuery)
    except msgspec.ValidationError as exc:
        return failure(f"Invalid arguments: {exc}")
    if (query.interruptId is msgspec.UNSET) == (query.loopId is msgspec.UNSET):
        return failure("Give exactly one of interruptId or loopId.")
    seconds = query.timeoutSeconds
    if isinstance(query.interruptId, str):
        answer = await api.call(
            "GET", f"/interrupts/{quote(query.interruptId, safe='')}", params={"wait": seconds},
            headers=headers, seconds=seconds + 15,
        )  # fmt: skip
        view = msgspec.json.decode(answer.content, type=schemas.InterruptResponse)
        outcome = tools.WaitOutcome(
            finished=view.status != "pending", status=view.status, interruptId=view.interruptId, interrupt=view
        )
        again = f"interruptId={view.interruptId!r}"
    else:
        loop_id = str(query.loopId)
        answer = await api.call(
            "GET", f"/v1/loop/status/{quote(loop_id, safe='')}", params={"wait": seconds},
            headers=headers, seconds=seconds + 15,
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
        return types.ListToolsResult(tools=listing)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        headers = credentials(ctx)
        try:
            if params.name == "wait_for_decision":
                return await wait_for_decision(api, arguments, headers)
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
