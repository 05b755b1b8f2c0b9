"""Typed answers checked by JSON Schema (the `jsonschema-rs` library, draft 2020-12): a responseSchema, a response.

The supported subset and the form are domain rules (service/domain/answers.py); this module asks the
validator whether a schema is well formed (at create) and whether a response is valid, with compiled
validators kept per schema text, so a decide pays for validation only; a stored schema, checked
when its interrupt was created, is compiled without being checked again.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import msgspec

from service.domain import answers, emails
from service.domain.errors import InvalidField, InvalidResponse
from service.domain.machine import APPROVED
from service.domain.models import Decision

# date and uri are the library's own (RFC 3339 full-date, RFC 3986 URI); email is the service's one address rule
_FORMATS = {"email": emails.is_address}
_decoder = msgspec.json.Decoder()
_PLAIN_NAME = re.compile("^[a-zA-Z][a-zA-Z0-9_]*$")  # a property written `$.name` in a path (others `$['…']`)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A stored responseSchema, ready: its validator, and the digest a decide proves it with."""

    validator: jsonschema_rs.Validator
    sha: str


def checked_schema(raw: bytes) -> str:
    """The responseSchema text of a create, once supported and well formed; InvalidField naming the problem."""
    if len(raw) > answers.MAX_SCHEMA_BYTES:
        raise InvalidField(f"{answers.FIELD} must be at most {answers.MAX_SCHEMA_BYTES} bytes of JSON",
                           field=answers.FIELD)  # fmt: skip
    text = raw.decode()
    _accepted(text)
    compiled(text)  # kept for the interrupt's decide in this process
    return text


@functools.lru_cache(maxsize=512)
def _accepted(text: str) -> None:
    """Raise InvalidField unless the schema is in the supported subset, valid by the meta-schema, its defaults valid.

    Kept per text once accepted (an agent asks the same form again and again); a refusal is not kept.
    """
    schema = _decoder.decode(text)
    answers.check_supported(schema)
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        where = f"{answers.FIELD}{path(exc.instance_path)[1:]}"
        raise InvalidField(f"{where}: {exc.message}", field=answers.FIELD) from None
    for name, spec in schema["properties"].items():
        if "default" in spec:
            for error in _validator(spec).iter_errors(spec["default"]):
                where = f"{answers.FIELD}.properties.{name}.default"
                raise InvalidField(f"{where}: {error.message}", field=answers.FIELD)


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(schema, formats=_FORMATS, validate_formats=True, offline=True)


@functools.lru_cache(maxsize=512)
def compiled(text: str) -> Compiled:
    """The validator of a stored responseSchema (checked when its interrupt was created, so not again here)."""
    return Compiled(_validator(_decoder.decode(text)), hashlib.sha1(text.encode()).hexdigest())  # noqa: S324


@functools.lru_cache(maxsize=512)
def form(text: str) -> list[answers.Field]:
    """The form fields of a stored responseSchema (for the pages; a decide does not need them)."""
    return answers.fields(_decoder.decode(text))


def violations(compiled_schema: Compiled, response: Any) -> list[dict[str, str]]:
    """Every way `response` breaks the schema as {field, path, message}, in path order (empty when valid).

    `field` is the top-level property the violation is in (absent for the response as a whole); a
    missing required property is reported at its own path.
    """
    found = []
    for error in compiled_schema.validator.iter_errors(response):
        where = list(error.instance_path)
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            where.append(error.kind.property)
        top = where[0] if where else None
        found.append({"path": path(where), "message": error.message} | ({"field": top} if isinstance(top, str) else {}))
    return sorted(found, key=lambda v: v["path"])


def path(segments: list[str | int]) -> str:
    """A JSON path of `segments`: `$.name`, `$['odd name']`, `$.tags[1]`."""
    written = ["$"]
    for segment in segments:
        if isinstance(segment, int):
            written.append(f"[{segment}]")
        elif _PLAIN_NAME.match(segment):
            written.append(f".{segment}")
        else:
            written.append("['" + segment.replace("\\", "\\\\").replace("'", r"\'") + "']")
    return "".join(written)


def checked_decision(schema_text: str, decision: Decision) -> Decision:
    """`decision` checked against its interrupt's schema: an approval always carries a valid response (`{}` if none).

    Raises InvalidResponse with every violation; the digest it returns is what decide.lua requires.
    """
    schema = compiled(schema_text)
    text = decision.response
    if text is None and decision.decision == APPROVED:
        text = "{}"
    if text is not None:
        found = violations(schema, _decoder.decode(text))
        if found:
            raise InvalidResponse(found)
    return msgspec.structs.replace(decision, response=text, schema_sha=schema.sha)
