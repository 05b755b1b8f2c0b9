"""Typed answers checked by JSON Schema (the `jsonschema` library, draft 2020-12): a responseSchema, a response.

The supported subset and the form are domain rules (service/domain/answers.py); this module asks the
validator whether a schema is well formed and whether a response is valid, with compiled validators
kept per schema text, so a decide pays for validation only.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from service.domain import answers, emails
from service.domain.errors import InvalidField, InvalidResponse
from service.domain.machine import APPROVED
from service.domain.models import Decision

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_FORMATS = FormatChecker(["date", "uri"])  # uri: rfc3986-validator, which jsonschema picks up
_FORMATS.checks("email")(emails.is_address)  # the one address rule of the service (as for reviewers)
_decoder = msgspec.json.Decoder()
_PLAIN_NAME = re.compile("^[a-zA-Z][a-zA-Z0-9_]*$")  # a name jsonschema writes as `$.name`


@dataclass(frozen=True, slots=True)
class Compiled:
    """A stored responseSchema, ready: its validator, its form fields, and the digest a decide proves it with."""

    validator: Draft202012Validator
    fields: list[answers.Field]
    sha: str


def checked_schema(raw: bytes) -> str:
    """The responseSchema text of a create, once supported and well formed; InvalidField naming the problem."""
    if len(raw) > answers.MAX_SCHEMA_BYTES:
        raise InvalidField(f"{answers.FIELD} must be at most {answers.MAX_SCHEMA_BYTES} bytes of JSON",
                           field=answers.FIELD)  # fmt: skip
    text = raw.decode()
    compiled(text)
    return text


@functools.lru_cache(maxsize=512)
def compiled(text: str) -> Compiled:
    """The compiled schema of `text` (checked: subset, meta-schema, defaults); kept for the next create or decide."""
    schema = _decoder.decode(text)
    answers.check_supported(schema)
    for error in _META.iter_errors(schema):
        raise InvalidField(f"{answers.FIELD}{error.json_path[1:]}: {error.message}", field=answers.FIELD)
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    for name, spec in schema["properties"].items():
        if "default" in spec:
            for error in validator.evolve(schema=spec).iter_errors(spec["default"]):
                where = f"{answers.FIELD}.properties.{name}.default"
                raise InvalidField(f"{where}: {error.message}", field=answers.FIELD)
    return Compiled(validator, answers.fields(schema), hashlib.sha1(text.encode()).hexdigest())  # noqa: S324


def violations(compiled_schema: Compiled, response: Any) -> list[dict[str, str]]:
    """Every way `response` breaks the schema as {field, path, message}, in path order (empty when valid).

    `field` is the top-level property the violation is in (absent for the response as a whole).
    """
    found = [v for error in compiled_schema.validator.iter_errors(response) for v in _violation(error)]
    unique = {(v["path"], v["message"]): v for v in found}  # jsonschema reports `required` once per missing name
    return sorted(unique.values(), key=lambda v: v["path"])


def _violation(error: ValidationError) -> list[dict[str, str]]:
    """One error as violations: a missing required property is reported at its own path."""
    required = error.validator_value
    instance = error.instance
    if (
        error.validator == "required"
        and not error.absolute_path
        and isinstance(instance, dict)
        and isinstance(required, list)
    ):
        missing = [name for name in required if name not in instance]
        return [{"field": name, "path": _child(name), "message": f"{name!r} is required"} for name in missing]
    top = error.absolute_path[0] if error.absolute_path else None
    return [{"path": error.json_path, "message": error.message} | ({"field": top} if isinstance(top, str) else {})]


def _child(name: str) -> str:
    """The JSON path of a top-level property, written as jsonschema writes paths."""
    if _PLAIN_NAME.match(name):
        return f"$.{name}"
    return "$['" + name.replace("\\", "\\\\").replace("'", r"\'") + "']"


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
