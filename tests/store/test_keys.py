"""The key layout: partitions spread evenly over slots, ids carry their partition, scripts derive keys alike."""

import re
from importlib import resources

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from service.store import keys
from service.store.ids import is_valid_id, new_id


def test_partition_k_lies_in_the_kth_share_of_the_slots() -> None:
    share = REDIS_CLUSTER_HASH_SLOTS / keys.PARTITIONS
    slots = [key_slot(keys.base(p).encode()) for p in range(keys.PARTITIONS)]
    assert [int(slot // share) for slot in slots] == list(range(keys.PARTITIONS))
    for primaries in (1, 3, 6, 12):  # slots split evenly between primaries split the partitions evenly
        per_node = [
            sum(1 for s in slots if int(s * primaries // REDIS_CLUSTER_HASH_SLOTS) == n) for n in range(primaries)
        ]
        assert per_node == [keys.PARTITIONS // primaries] * primaries


def test_an_id_carries_the_partition_it_was_made_in() -> None:
    for partition in range(keys.PARTITIONS):
        made = {new_id(partition) for _ in range(20)}
        assert all(is_valid_id(i) and keys.partition_of(i) == partition for i in made) and len(made) == 20
    anywhere = [keys.partition_of(new_id()) for _ in range(4_800)]
    assert min(anywhere.count(p) for p in range(keys.PARTITIONS)) > 40  # ~100 each: no partition left out


def test_an_interrupt_made_for_a_user_is_in_the_slot_of_the_users_indexes() -> None:
    for user in ("alice", "someone@example.com", "a/b{c}:d", "ü" * 40):
        interrupt_id = new_id(keys.user_partition(user))
        slots = {key_slot(k.encode()) for k in (keys.interrupt(interrupt_id), keys.events(interrupt_id),
                 keys.user_pending(user), keys.user_stats(user), keys.user_actions(user), keys.user_watched(user),
                 keys.channel(keys.user_topic(user)), keys.deadlines(keys.user_partition(user)))}  # fmt: skip
        assert len(slots) == 1, user


def test_keys_derived_inside_scripts_match_keys_py() -> None:
    some_id = new_id(7)
    base = keys.base(7)
    assert keys.interrupt(some_id) == f"{base}{some_id}:i"  # pending_read.lua
    assert keys.loop(some_id) == f"{base}{some_id}:loop"  # loop_resolve.lua
    assert keys.channel(some_id) == f"{base}{some_id}:ch"  # loop_resolve.lua
    assert keys.watched(some_id) == f"{base}{some_id}:watched"  # loop_resolve.lua
    user = "someone@example.com"
    prefix = keys.user_prefix(keys.user_partition(user))
    assert keys.user_pending(user) == f"{prefix}{user}:pending"  # _lib.lua transition_keys
    assert keys.user_stats(user) == f"{prefix}{user}:stats"  # _lib.lua transition_keys
    lua = resources.files("service.store") / "lua"
    assert "':i'" in (lua / "pending_read.lua").read_text()
    assert re.findall(r"\.\. ':(\w+)'", (lua / "loop_resolve.lua").read_text()) == ["ch", "loop", "watched"]
    assert re.findall(r"user \.\. '(\w+)'", (lua / "_lib.lua").read_text()) == ["pending", "stats"]


def test_names_parsed_back_from_keys_and_channels() -> None:
    some_id = new_id()
    assert keys.id_from_channel(keys.channel(some_id)) == some_id
    assert keys.id_from_channel(keys.channel(keys.user_topic("x:y}z"))) == keys.user_topic("x:y}z")
    assert keys.id_from_deadline_ttl(keys.deadline_ttl(some_id)) == some_id
    assert keys.id_from_deadline_ttl(keys.interrupt(some_id)) is None
    assert keys.partition_of_key(keys.outbox(31)) == 31
