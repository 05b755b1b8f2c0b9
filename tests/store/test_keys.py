"""Scripts derive some keys from an id and the tag prefix (one round trip): the formats must agree with keys.py."""

import re
from importlib import resources

from service.store import keys


def test_keys_derived_inside_scripts_match_keys_py() -> None:
    prefix, some_id = keys.tag_prefix(), "0b6e3f8e-2f4e-4d7a-9a51-3c1f0e6c2d11"
    assert keys.interrupt(some_id) == f"{prefix}{some_id}}}:i"  # pending_read.lua
    assert keys.loop(some_id) == f"{prefix}{some_id}}}:loop"  # loop_resolve.lua
    assert keys.channel(some_id) == f"{prefix}{some_id}}}:ch"  # loop_resolve.lua
    assert keys.watched(some_id) == f"{prefix}{some_id}}}:watched"  # loop_resolve.lua
    user_prefix, user = keys.user_tag_prefix(), "someone@example.com"
    assert keys.user_pending(user) == f"{user_prefix}{user}}}:pending"  # _lib.lua transition_keys
    assert keys.user_stats(user) == f"{user_prefix}{user}}}:stats"  # _lib.lua transition_keys
    lua = resources.files("service.store") / "lua"
    assert "'}:i'" in (lua / "pending_read.lua").read_text()
    assert re.findall(r"'\}:(\w+)'", (lua / "loop_resolve.lua").read_text()) == ["ch", "loop", "watched"]
    assert re.findall(r"user \.\. '(\w+)'", (lua / "_lib.lua").read_text()) == ["pending", "stats"]
