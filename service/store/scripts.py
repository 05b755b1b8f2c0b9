"""Loads the Lua transition scripts shipped as package data and registers them with a client."""

import json
from dataclasses import dataclass
from importlib import resources

from redis.commands.core import AsyncScript

from service.domain import machine
from service.store.connection import AnyRedis

# scripts that share helpers get them prepended: the interrupt transitions and the loop transitions
_INTERRUPT_LIB = ("_ttl.lua", "_notify.lua", "_lib.lua")
_LOOP_LIB = ("_notify.lua", "_loop.lua")
_PRELUDES: dict[str, tuple[str, ...]] = {
    "create": ("_ttl.lua", "_notify.lua"),
    "decide": _INTERRUPT_LIB,
    "cancel": _INTERRUPT_LIB,
    "expire": _INTERRUPT_LIB,
    "loop_resolve": _LOOP_LIB,
    "loop_expire": _LOOP_LIB,
    "newest_page": ("_page.lua",),
    "pending_read": ("_page.lua",),
}


# constants the Lua shares with Python, stated once (in Python) and prepended to the scripts that use them
_CONSTANTS = {
    "_lib.lua": f"local TTD_BUCKETS = {{{', '.join(map(str, machine.TTD_BUCKETS_MS))}}}\n"
    f"local TIMEOUT_BY, TIMEOUT_REASON = {json.dumps(machine.TIMEOUT_BY)}, {json.dumps(machine.TIMEOUT_REASON)}"
}


# scripts that only read: declared so (they still run on a full server, and on a replica)
_READ_ONLY = frozenset({"pending_read", "analytics", "newest_page"})


def source(name: str) -> str:
    """The full source of script `name`, with the shared constants and helpers prepended where it uses them.

    It starts with a `#!lua` shebang: the server then refuses a key in another slot than the declared
    ones (on Redis Cluster), instead of running it wherever the slots happen to share a node.
    """
    folder = resources.files("service.store") / "lua"
    body = (folder / f"{name}.lua").read_text()
    preludes = []
    for prelude in _PRELUDES.get(name, ()):
        if prelude in _CONSTANTS:
            preludes.append(_CONSTANTS[prelude])
        preludes.append((folder / prelude).read_text())
    shebang = "#!lua flags=no-writes" if name in _READ_ONLY else "#!lua"
    return "\n".join([shebang, *preludes, body])


@dataclass(frozen=True, slots=True)
class Scripts:
    """The interrupt scripts registered on one client (EVALSHA with automatic load on NOSCRIPT)."""

    create: AsyncScript
    decide: AsyncScript
    cancel: AsyncScript
    expire: AsyncScript
    pending_read: AsyncScript
    analytics: AsyncScript
    history_add: AsyncScript
    nudge: AsyncScript

    @classmethod
    def register(cls, redis: AnyRedis) -> "Scripts":
        """Register every script on `redis`."""
        return cls(
            create=redis.register_script(source("create")),
            decide=redis.register_script(source("decide")),
            cancel=redis.register_script(source("cancel")),
            expire=redis.register_script(source("expire")),
            pending_read=redis.register_script(source("pending_read")),
            analytics=redis.register_script(source("analytics")),
            history_add=redis.register_script(source("history_add")),
            nudge=redis.register_script(source("nudge")),
        )
