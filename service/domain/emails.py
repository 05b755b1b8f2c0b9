"""Email addresses as Interlock takes them: each exactly one bare address (no display name, no list)."""

import re

from service.domain.errors import InvalidField

_ATOM = r"[^@\s.,;<>()\[\]\\\":]+"
ADDRESS_PATTERN = rf"^[^@\s,;<>()\[\]\\\":]{{1,64}}@{_ATOM}(\.{_ATOM})+$"  # also the schemas' pattern
_ADDRESS = re.compile(ADDRESS_PATTERN)
MAX_LENGTH = 254


def is_address(text: object) -> bool:
    """True for one bare address such as `alice@example.com` (no `Name <…>`, no `a@x, b@y`)."""
    return isinstance(text, str) and len(text) <= MAX_LENGTH and bool(_ADDRESS.match(text))


def distinct_addresses(value: object, field: str, *, least: int, most: int) -> tuple[str, ...]:
    """`value` as `least` to `most` distinct addresses (case-insensitively); InvalidField naming `field` otherwise."""
    rule = f"{field} must be an array of {least} to {most} distinct email addresses"
    if not isinstance(value, list) or not least <= len(value) <= most:
        raise InvalidField(rule, field=field)
    for address in value:
        if not is_address(address):
            raise InvalidField(f"{rule}; {address!r} is not one", field=field)
    if len({a.lower() for a in value}) != len(value):
        raise InvalidField(f"{rule}; an address appears twice", field=field)
    return tuple(value)
