"""A redis-py asyncio connection that packs commands with hiredis.

redis-py 5 (the newest arq allows) packs asyncio commands in Python, which costs more than the
round trip itself for a 25-argument EVALSHA; its sync client already uses hiredis for this.
"""

from typing import Any

import hiredis
from redis.asyncio.connection import Connection

_PLAIN = frozenset({str, bytes, int})  # exact types: bool and str subclasses go the slow way


class HiredisPackingConnection(Connection):
    """Same protocol, same behaviour; only the packing is done in C when every argument is plain."""

    def pack_command(self, *args: Any) -> list[bytes]:
        """Pack one command; fall back to redis-py for multi-word names and unusual argument types."""
        if isinstance(args[0], str) and " " in args[0]:
            return super().pack_command(*args)
        for arg in args:
            if type(arg) not in _PLAIN:
                return super().pack_command(*args)
        return [hiredis.pack_command(args)]
