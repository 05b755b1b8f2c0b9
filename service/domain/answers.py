"""Typed answers: the subset of JSON Schema a `responseSchema` may use, its form fields, and a form read back.

What is supported is stated here once: an object schema whose properties are strings (`enum`,
`format` date/email/uri, `minLength`/`maxLength`), numbers or integers (bounds, `multipleOf`),
booleans, or arrays of enum strings (checkboxes), each with `title`/`description`/`default` for its
label. Any other keyword is refused at create, naming where it is. Whether a value is valid is
JSON Schema's to say (service/answers.py runs a validator); this module is pure.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from service.domain import jsontext
from service.domain.errors import InvalidField

FIELD: Final = "responseSchema"
DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
MAX_PROPERTIES: Final = 50
MAX_OPTIONS: Final = 100
MAX_TEXT: Final = 1000  # a title, a description, one enum value
MAX_SCHEMA_BYTES: Final = 32_768
FORMATS: Final = ("date", "email", "uri")
TOP: Final = frozenset({"$schema", "type", "title", "description", "properties", "required", "additionalProperties"})
_LABELS = frozenset({"type", "title", "description", "default"})
KEYWORDS: Final = {  # property type → the keywords it may carry
    "string": _LABELS | {"enum", "format", "minLength", "maxLength"},
    "number": _LABELS | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "integer": _LABELS | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "boolean": _LABELS,
    "array": _LABELS | {"items", "uniqueItems", "minItems", "maxItems"},
}
_ITEMS = frozenset({"type", "enum"})
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_INTEGER = re.compile(r"[+-]?\d+")
_by_name = msgspec.json.Decoder(dict[str, msgspec.Raw])
PREFIX: Final = "answer."  # form names of the answer's fields, apart from the form's own (csrf, decision, …)


@dataclass(frozen=True, slots=True)
class Field:
    """One input of the answer form, as the review page renders it."""

    name: str
    kind: str  # text, textarea, select, date, email, url, number, integer, checkbox, checkboxes
    label: str
    hint: str | None
    required: bool
    default: Any
    options: tuple[str, ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()  # HTML constraint attributes: min, max, step, minlength, maxlength

    @property
    def form_name(self) -> str:
        """The name of its input(s) in the form."""
        return PREFIX + self.name


def _refuse(where: str, rule: str) -> InvalidField:
    return InvalidField(f"{where}: {rule}", field=FIELD)


def check_supported(schema: Any) -> None:
    """Refuse (400 naming the place) a responseSchema outside the supported subset; JSON Schema checks the rest."""
    if not isinstance(schema, dict):
        raise _refuse(FIELD, "must be a JSON Schema object")
    for key in schema:
        if key not in TOP:
            supported = ", ".join(sorted(TOP))
            raise _refuse(FIELD, f"the keyword {key!r} is not supported at the top (supported: {supported})")
    if schema.get("type") != "object":
        raise _refuse(f"{FIELD}.type", 'must be "object"')
    if "$schema" in schema and schema["$schema"] != DRAFT:
        raise _refuse(f"{FIELD}.$schema", f"must be {DRAFT} (draft 2020-12) when given")
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not 0 < len(properties) <= MAX_PROPERTIES:
        raise _refuse(f"{FIELD}.properties", f"must be an object of 1 to {MAX_PROPERTIES} properties")
    for name, spec in properties.items():
        _check_property(name, spec)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) and r in properties for r in required):
        raise _refuse(f"{FIELD}.required", "must be an array of names of its properties")
    if not isinstance(schema.get("additionalProperties", False), bool):
        raise _refuse(f"{FIELD}.additionalProperties", "must be true or false")
    _check_labels(FIELD, schema)


def _check_property(name: str, spec: Any) -> None:
    where = f"{FIELD}.properties.{name}"
    if not name or len(name) > 100 or not name.isprintable():
        raise _refuse(where, "a property name must be 1 to 100 printable characters")
    if not isinstance(spec, dict):
        raise _refuse(where, "must be a schema object")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in KEYWORDS:
        raise _refuse(f"{where}.type", f"must be one of {', '.join(KEYWORDS)}")
    for key in spec:
        if key not in KEYWORDS[kind]:
            allowed = ", ".join(sorted(KEYWORDS[kind]))
            raise _refuse(where, f"the keyword {key!r} is not supported for a {kind} (supported: {allowed})")
    _check_labels(where, spec)
    for key in _COUNTS:
        if key in spec and (type(spec[key]) is not int or spec[key] < 0):
            raise _refuse(f"{where}.{key}", "must be a whole number, 0 or more")
    for key in _BOUNDS:
        if key in spec and not _is_number(spec[key]):
            raise _refuse(f"{where}.{key}", "must be a number")
    if "format" in spec and spec["format"] not in FORMATS:
        raise _refuse(f"{where}.format", f"must be one of {', '.join(FORMATS)}")
    if "enum" in spec:
        _check_options(f"{where}.enum", spec["enum"])
    if kind == "array":
        _check_choices(f"{where}.items", spec.get("items"))


def _check_choices(where: str, items: Any) -> None:
    """An array answer is a set of choices: its items are one enum of strings."""
    shaped = isinstance(items, dict) and "enum" in items and not set(items) - _ITEMS
    if not shaped or items.get("type") not in (None, "string"):
        raise _refuse(where, 'must be {"type": "string", "enum": [...]}: an array answer is a set of choices')
    _check_options(f"{where}.enum", items["enum"])


def _check_labels(where: str, spec: Mapping[str, Any]) -> None:
    for key in ("title", "description"):
        if key in spec and (not isinstance(spec[key], str) or len(spec[key]) > MAX_TEXT):
            raise _refuse(f"{where}.{key}", f"must be a string of at most {MAX_TEXT} characters")


def _check_options(where: str, options: Any) -> None:
    if (
        not isinstance(options, list)
        or not 0 < len(options) <= MAX_OPTIONS
        or not all(isinstance(o, str) and 0 < len(o) <= MAX_TEXT for o in options)
        or len(set(options)) != len(options)
    ):
        raise _refuse(where, f"must be 1 to {MAX_OPTIONS} distinct non-empty strings")


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def fields(schema: Mapping[str, Any]) -> list[Field]:
    """The form's inputs, in the schema's property order (a supported schema: check_supported passed)."""
    required = set(schema.get("required", ()))
    return [_field(name, spec, name in required) for name, spec in schema["properties"].items()]


def _field(name: str, spec: Mapping[str, Any], required: bool) -> Field:
    kind, attrs = _kind(spec), _attrs(spec)
    options = tuple(spec.get("enum") or spec.get("items", {}).get("enum") or ())
    label = spec.get("title") or name
    hint = _sentences(spec.get("description"), _rule(spec))
    return Field(name=name, kind=kind, label=label, hint=hint, required=required,
                 default=spec.get("default"), options=options, attrs=attrs)  # fmt: skip


def _sentences(description: str | None, rule: str) -> str | None:
    """The description, then the rule in words, as one hint."""
    if not description or not rule:
        return description or rule or None
    return f"{description.rstrip()}{'' if description.rstrip().endswith(('.', '!', '?')) else '.'} {rule}"


_RULES = (("minimum", "at least"), ("exclusiveMinimum", "more than"), ("maximum", "at most"),
          ("exclusiveMaximum", "less than"), ("multipleOf", "in steps of"), ("minLength", "at least"),
          ("maxLength", "at most"), ("minItems", "choose at least"), ("maxItems", "choose at most"))  # fmt: skip


def _rule(spec: Mapping[str, Any]) -> str:
    """The field's bounds in words, for the reviewer (the browser checks only some of them)."""
    parts = [f"{words} {_number_text(spec[key])}" for key, words in _RULES if key in spec]
    if not parts:
        return ""
    unit = " characters" if spec["type"] == "string" else ""
    text = ", ".join(parts) + unit + "."
    return text[:1].upper() + text[1:]


def _kind(spec: Mapping[str, Any]) -> str:
    kind = spec["type"]
    if kind == "string":
        if "enum" in spec:
            return "select"
        if "format" in spec:
            return {"date": "date", "email": "email", "uri": "url"}[spec["format"]]
        return "textarea" if spec.get("maxLength", 0) > 200 else "text"  # a long answer gets room
    return {"number": "number", "integer": "integer", "boolean": "checkbox", "array": "checkboxes"}[kind]


def _attrs(spec: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    html = {"minLength": "minlength", "maxLength": "maxlength", "minimum": "min", "maximum": "max"}
    found = [(attr, _number_text(spec[key])) for key, attr in html.items() if key in spec]
    if spec["type"] in ("number", "integer"):
        step = spec.get("multipleOf", 1 if spec["type"] == "integer" else "any")
        found.append(("step", _number_text(step)))
    return tuple(found)


def _number_text(value: Any) -> str:
    return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))


def from_form(form_fields: list[Field], values: Mapping[str, list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The answer a submitted form gives (empty inputs left out), and what could not be read, by field name."""
    answer: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in form_fields:
        given = values.get(f.form_name, [])
        if f.kind == "checkbox":
            answer[f.name] = "true" in given
        elif f.kind == "checkboxes":
            answer[f.name] = list(given)
        elif given and given[0].strip():
            text = given[0].replace("\r\n", "\n")
            if f.kind in ("number", "integer"):
                number = _number(text.strip(), f.kind == "integer")
                if number is None:
                    problems[f.name] = "Enter a whole number." if f.kind == "integer" else "Enter a number."
                    continue
                answer[f.name] = number
            else:
                answer[f.name] = text
    return answer, problems


def _number(text: str, whole: bool) -> int | float | None:
    if _INTEGER.fullmatch(text):
        return int(text)
    if whole:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def initial_values(form_fields: list[Field]) -> dict[str, list[str]]:
    """What each input shows before anything is typed: its default, as a form would send it."""
    return {f.name: _as_sent(f.default) for f in form_fields if f.default is not None}


def _as_sent(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true"] if value else []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [_number_text(value) if isinstance(value, int | float) else str(value)]


def shown(form_fields: list[Field], response: str) -> list[tuple[str, str]]:
    """A recorded answer (JSON text) as (label, text) lines in the form's order, numbers exactly as stored.

    Values the schema does not name come last, under their own names.
    """
    values = _by_name.decode(response)
    labels = {f.name: f.label for f in form_fields}
    lines = [(labels[name], _text(values[name])) for name in labels if name in values]
    return lines + [(name, _text(raw)) for name, raw in values.items() if name not in labels]


def _text(raw: msgspec.Raw) -> str:
    text = bytes(raw).decode()
    if text in ("true", "false"):
        return "yes" if text == "true" else "no"
    value = msgspec.json.decode(text)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "none"
    return jsontext.pretty(text)  # a number or anything else: as stored
