"""`require_approval`: a function that asks a human first, and runs only once they approve."""

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar, cast

from interlock_client.aio import AsyncInterlock
from interlock_client.calls import call_text, edits, jsonable
from interlock_client.errors import Cancelled, Expired, InterlockError, Rejected
from interlock_client.models import Decision
from interlock_client.protocol import DEFAULT_EXPIRES_IN, DEFAULT_URGENCY, InterruptOptions
from interlock_client.sync import Interlock

P = ParamSpec("P")
R = TypeVar("R")
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
_OUTCOMES = {"rejected": Rejected, "expired": Expired, "cancelled": Cancelled}


def require_approval(
    *,
    user_id: str,
    agent_id: str,
    action: str | Callable[..., str] | None = None,
    urgency: str = DEFAULT_URGENCY,
    expires_in: float = DEFAULT_EXPIRES_IN,
    on_timeout: str | None = None,
    client: Interlock | AsyncInterlock | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Guard a sync or async function: each call asks `user_id` first and runs only when approved.

    The call's arguments are the interrupt's `context`; `action` is the text the reviewer reads (a
    string, or a function of the same arguments returning one; default: the call written out).
    Approved: the function runs with the reviewer's edits (`modifiedParams`) applied over its
    arguments. Otherwise it raises `Rejected`, `Expired` or `Cancelled` and does not run.
    `on_timeout="approved"` runs it at the deadline if nobody decided (an explicit choice: without
    it an undecided call raises `Expired`). `client` defaults to one made from `LOOPIN_API_URL`/`LOOPIN_API_KEY`
    for each call.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)
        asynchronous = inspect.iscoroutinefunction(function)
        if client is not None and isinstance(client, AsyncInterlock) != asynchronous:
            raise TypeError(f"{function.__qualname__} needs {'AsyncInterlock' if asynchronous else 'Interlock'}")

        def question(
            args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[inspect.BoundArguments, str, InterruptOptions]:
            """The call's bound arguments, the action text and what to ask with it."""
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            context = _context(bound)
            text = action(*args, **kwargs) if callable(action) else action or call_text(function.__name__, context)
            asked: InterruptOptions = {"context": context, "user_id": user_id, "agent_id": agent_id, "urgency": urgency,
                            "expires_in": expires_in, "on_timeout": on_timeout}  # fmt: skip
            return bound, text, asked

        if asynchronous:

            @functools.wraps(function)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                bound, text, asked = question(args, kwargs)
                async with _async_client(client) as il:
                    decision = await il.ask(text, **asked)
                edited = approved(decision, bound, asked["context"])
                return await cast(Callable[..., Awaitable[Any]], function)(*edited.args, **edited.kwargs)

            return cast(Callable[P, R], guarded_async)

        @functools.wraps(function)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            bound, text, asked = question(args, kwargs)
            with _sync_client(client) as il:
                decision = il.ask(text, **asked)
            edited = approved(decision, bound, asked["context"])
            return function(*edited.args, **edited.kwargs)

        return guarded

    return decorate


def approved(decision: Decision, bound: inspect.BoundArguments, sent: Mapping[str, Any]) -> inspect.BoundArguments:
    """The arguments to run with once approved (the reviewer's edits applied); raises unless approved.

    Only values the reviewer changed are applied, so an argument sent as its `repr` (it is not JSON)
    and left alone is passed as the original object. An edit naming a parameter the function does
    not take is refused rather than dropped: the function would run other than as approved.
    """
    if not decision.approved:
        raise _OUTCOMES.get(decision.status, Rejected)(decision)
    parameters = bound.signature.parameters
    extra = next((n for n, p in parameters.items() if p.kind is inspect.Parameter.VAR_KEYWORD), None)
    for name, value in edits(decision, sent).items():
        if name in parameters and parameters[name].kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            bound.arguments[name] = value
        elif extra is not None:
            bound.arguments.setdefault(extra, {})[name] = value
        else:
            raise InterlockError(f"the reviewer's edit names {name!r}, which this function does not take; not run")
    return bound


def _context(bound: inspect.BoundArguments) -> dict[str, Any]:
    """The call's arguments as JSON (`self`/`cls` left out; a value JSON cannot hold as its repr)."""
    names = list(bound.signature.parameters)
    skip = names[0] if names and names[0] in ("self", "cls") else None
    return {name: jsonable(value) for name, value in bound.arguments.items() if name != skip}


@contextlib.contextmanager
def _sync_client(given: Interlock | AsyncInterlock | None) -> Iterator[Interlock]:
    if isinstance(given, Interlock):
        yield given
        return
    with Interlock() as made:
        yield made


@contextlib.asynccontextmanager
async def _async_client(given: Interlock | AsyncInterlock | None) -> AsyncIterator[AsyncInterlock]:
    if isinstance(given, AsyncInterlock):
        yield given
        return
    async with AsyncInterlock() as made:
        yield made
