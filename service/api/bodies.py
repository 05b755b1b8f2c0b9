"""How a JSON body is decoded and refused: the refusal rules, the shared field types, user ids, optional objects.

The body Structs themselves are schemas.py's (interrupts) and loop_schemas.py's (loops).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Raw

from service.domain import emails
from service.domain.errors import InvalidField, MalformedJson

USER_ID_RULE = "userId must be 1 to 256 printable characters (no line breaks or control characters)"
MAX_USER_ID = 256
# What a stored JSON object is, for schemas (msgspec describes a Raw field as `{}`, anything)
JsonObject = Annotated[
    Raw, Meta(extra_json_schema={"type": "object", "description": "A JSON object, as the agent sent it."})
]
_PATH = re.compile(r"at `\$\.(\w+)|missing required field `(\w+)`")
# an absolute http(s) URL with a host and no credentials; written without flags, so JSON Schema reads it too
ABSOLUTE_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#@]+(:\d+)?([/?#]\S*)?$"
ABSOLUTE_URL = re.compile(ABSOLUTE_URL_PATTERN)


# one address (the pattern is emails.is_address's; the decoder leaves it to emails.distinct_addresses,
# whose refusal names the address)
EmailAddress = Annotated[
    str, Meta(extra_json_schema={"pattern": emails.ADDRESS_PATTERN, "maxLength": emails.MAX_LENGTH})
]


@dataclass(frozen=True, slots=True)
class Rules:
    """What a refused body is told: the broken field's rule, or (compat) one message when a required one is absent.

    msgspec stops at the first field that breaks its Struct; the message is that field's rule.
    A body missing any of `required` (absent, null or "") gets `missing` instead, whatever else is
    wrong with it, as LoopIn checks those first.
    """

    messages: Mapping[str, str]
    required: tuple[str, ...] = ()
    missing: str = ""

    def refusal(self, body: bytes, error: str) -> InvalidField:
        """The refusal for a body msgspec rejected with `error`."""
        if self.required and _lacks(body, self.required):
            return InvalidField(self.missing)
        match = _PATH.search(error)
        field = (match.group(1) or match.group(2)) if match else None
        if field is None:
            return InvalidField("request body must be a JSON object")
        return InvalidField(self.messages.get(field, f"{field}: {error}"), field=field)


_any_decoder = msgspec.json.Decoder()


def _lacks(body: bytes, names: tuple[str, ...]) -> bool:
    """True when `body` is an object in which one of `names` is absent, null or the empty string."""
    try:
        data = _any_decoder.decode(body)
    except msgspec.DecodeError:
        return False
    return isinstance(data, dict) and any(data.get(name) is None or data.get(name) == "" for name in names)


def decode_body(decoder: msgspec.json.Decoder[Any], body: bytes, rules: Rules | Mapping[str, str]) -> Any:
    """Decode a JSON body with its Struct's decoder; a refusal says what `rules` say of the field that broke."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise (rules if isinstance(rules, Rules) else Rules(rules)).refusal(body, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from None


def is_object(raw: bytes) -> bool:
    """True when raw JSON text is an object."""
    return raw.lstrip()[:1] == b"{"


def is_null(raw: bytes) -> bool:
    """True when raw JSON text is null, the empty string, or nothing."""
    return raw.strip() in (b"null", b'""', b"")


def user_id(value: str) -> str:
    """A user id as every route takes it (path or body): 1 to MAX_USER_ID printable characters."""
    if not 0 < len(value) <= MAX_USER_ID or not value.isprintable():
        raise InvalidField(USER_ID_RULE, field="userId")
    return value


def object_or_none(raw: Raw, field: str, messages: Mapping[str, str]) -> bytes | None:
    """An optional JSON-object field's text: None for null, InvalidField (its rule) for anything but an object."""
    text = bytes(raw)
    if text.strip() == b"null":
        return None
    if not is_object(text):
        raise InvalidField(messages[field], field=field)
    return text
