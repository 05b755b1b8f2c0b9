"""JSON text as Interlock takes it and shows it: strict on the way in, shown as stored on the way out.

In: valid UTF-8, no `NaN`/`Infinity` or numbers out of a double's range, no duplicate object keys
(a reviewer would see one value and the agent read another), nesting at most MAX_DEPTH deep.
Out: pretty-printed with every number and string as stored, unicode escapes shown as their
characters (control characters stay escaped).
"""

import json
import math
import re

import msgspec

from service.domain.errors import InvalidField, MalformedJson

MAX_DEPTH = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
# an escape in JSON text: a surrogate pair, one \uXXXX, or any other backslash pair (kept as it is)
_ESCAPE = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})|\\.", re.IGNORECASE)


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NotFinite(Exception):
    pass


def _unique(pairs: list[tuple[str, object]]) -> None:
    """object_pairs_hook: refuse a repeated key (the values themselves are not needed)."""
    if len(pairs) > 1 and len(dict(pairs)) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotFinite(text)
    return value


def _constant(text: str) -> float:
    raise _NotFinite(text)


# built once: json.loads with hooks makes a new decoder (and scanner) on every call
_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_constant, parse_float=_finite)


def depth(text: str) -> int:
    """How deep `text` nests arrays and objects (0 when it cannot reach MAX_DEPTH: fewer brackets than that)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    level = peak = 0
    for char in _STRINGS.sub("", text):
        if char in "[{":
            level += 1
            peak = max(peak, level)
        elif char in "]}":
            level -= 1
    return peak


def check(body: bytes, what: str = "request body") -> str:
    """The text of a JSON document that passes the rules above; MalformedJson / InvalidField naming what broke.

    Text that is not JSON at all passes here: the decoder that reads it reports that in its own words.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"{what} is not valid UTF-8 (byte {exc.start})") from None
    if depth(text) > MAX_DEPTH:
        raise MalformedJson(f"{what} nests arrays and objects deeper than {MAX_DEPTH} levels")
    try:
        _DECODER.decode(text)
    except _Duplicate as exc:
        raise InvalidField(f"{what} has the key {exc.key!r} twice in one object", field=exc.key) from None
    except _NotFinite as exc:
        raise InvalidField(f"{what} has a number that is not finite ({exc}): NaN, Infinity and out-of-range "
                           "numbers are not JSON a reader can trust") from None  # fmt: skip
    except (ValueError, RecursionError):
        pass
    return text


def pretty(text: str) -> str:
    """`text` indented by two spaces, numbers and strings as stored, unicode escapes shown as characters."""
    return _ESCAPE.sub(_shown, msgspec.json.format(text, indent=2))


def _shown(match: re.Match[str]) -> str:
    high, low, single = match.groups()
    if high:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if single:
        code = int(single, 16)
        if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF:
            return match.group()  # control characters and lone surrogates stay escaped
        return chr(code)
    return match.group()
