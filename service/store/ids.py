"""What every store shares: the ids we issue and the idempotency record's constants."""

import os
import re

from service.store import keys

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IDEMPOTENCY_TTL_MS = 24 * 3_600_000  # how long a create's Idempotency-Key replays it


def new_id(partition: int | None = None) -> str:
    """A random UUIDv4 string, built without uuid.UUID's validation overhead, in `partition` (else a random one).

    The partition (keys.partition_of) is the first byte modulo keys.PARTITIONS: that byte is then
    the partition plus a random multiple of it (116 random bits remain).
    """
    raw = bytearray(os.urandom(16))
    if partition is None:  # any partition, all equally likely
        partition = int.from_bytes(raw[12:]) % keys.PARTITIONS
    raw[0] = partition + keys.PARTITIONS * (raw[0] % (256 // keys.PARTITIONS))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_valid_id(subject_id: str) -> bool:
    """True when `subject_id` has the shape of an id we issue (lowercase UUID): interrupts, loops, promises."""
    return bool(_UUID.match(subject_id))
