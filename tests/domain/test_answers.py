"""The typed-answer rules: the supported schema subset, its form fields, a form read back, an answer shown."""

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import answers as checked
from service.domain import answers
from service.domain.errors import InvalidField

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from([*sorted(answers.TOP), *sorted(set().union(*answers.KEYWORDS.values())), "items", "pattern"])
SPECS = st.dictionaries(KEYS, JSON | st.sampled_from(["string", "number", "integer", "boolean", "array", "date"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), SPECS | JSON, max_size=4), st.dictionaries(KEYS, JSON, max_size=3))
def test_any_schema_is_either_compiled_or_refused_naming_responseSchema(properties: dict[str, Any],
                                                                        top: dict[str, Any]) -> None:  # fmt: skip
    schema = top | {"type": "object", "properties": properties}
    text = msgspec.json.encode(schema).decode()
    refused: InvalidField | None = None
    try:
        checked.checked_schema(text.encode())
    except InvalidField as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "responseSchema" and refused.message.startswith("responseSchema")
    else:
        assert [f.name for f in checked.form(text)] == list(properties)


def schema_of(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": ["amount"]}


def test_each_property_type_becomes_its_input() -> None:
    schema = schema_of(
        amount={"type": "number", "minimum": 0, "maximum": 99.5, "title": "Amount"},
        count={"type": "integer", "multipleOf": 5},
        env={"type": "string", "enum": ["prod", "staging"]},
        day={"type": "string", "format": "date"},
        mail={"type": "string", "format": "email"},
        link={"type": "string", "format": "uri"},
        short={"type": "string", "maxLength": 10, "description": "A word"},
        long={"type": "string", "maxLength": 2000},
        flag={"type": "boolean"},
        tags={"type": "array", "items": {"enum": ["a", "b"]}},
    )
    answers.check_supported(schema)
    found = {f.name: f for f in answers.fields(schema)}
    kinds = {name: f.kind for name, f in found.items()}
    assert kinds == {
        "amount": "number",
        "count": "integer",
        "env": "select",
        "day": "date",
        "mail": "email",
        "link": "url",
        "short": "text",
        "long": "textarea",
        "flag": "checkbox",
        "tags": "checkboxes",
    }
    assert found["amount"].label == "Amount" and found["amount"].required and not found["count"].required
    assert dict(found["amount"].attrs) == {"min": "0", "max": "99.5", "step": "any"}
    assert dict(found["count"].attrs) == {"step": "5"} and found["count"].hint == "In steps of 5."
    assert found["amount"].hint == "At least 0, at most 99.5."  # bounds in words: the browser checks only some
    assert dict(found["short"].attrs) == {"maxlength": "10"} and found["short"].hint == "A word. At most 10 characters."
    assert found["tags"].options == ("a", "b") and found["env"].options == ("prod", "staging")


def test_a_form_reads_back_as_the_answer_with_unreadable_numbers_named() -> None:
    schema = schema_of(amount={"type": "number"}, count={"type": "integer"}, note={"type": "string"},
                       flag={"type": "boolean"}, tags={"type": "array", "items": {"enum": ["a", "b"]}})  # fmt: skip
    form = answers.fields(schema)
    sent = {"answer.amount": ["12.50"], "answer.count": ["3"], "answer.note": ["line\r\nnext"],
            "answer.tags": ["a", "b"]}  # fmt: skip
    answer, problems = answers.from_form(form, sent)
    assert answer == {"amount": 12.5, "count": 3, "note": "line\nnext", "flag": False, "tags": ["a", "b"]}
    assert problems == {}
    answer, problems = answers.from_form(form, {"answer.amount": ["twelve"], "answer.count": ["2.5"],
                                                "answer.note": ["  "], "answer.flag": ["true"]})  # fmt: skip
    assert answer == {"flag": True, "tags": []}  # an empty input is left out, so `required` can say so
    assert problems == {"amount": "Enter a number.", "count": "Enter a whole number."}


def test_defaults_prefill_the_form_as_a_browser_would_send_them() -> None:
    schema = schema_of(amount={"type": "number", "default": 10.0}, flag={"type": "boolean", "default": True},
                       off={"type": "boolean", "default": False}, tags={"type": "array", "items": {"enum": ["a"]},
                                                                        "default": ["a"]})  # fmt: skip
    assert answers.initial_values(answers.fields(schema)) == {"amount": ["10"], "flag": ["true"], "off": [],
                                                               "tags": ["a"]}  # fmt: skip


def test_a_recorded_answer_is_shown_with_labels_and_numbers_as_stored() -> None:
    schema = schema_of(amount={"type": "number", "title": "Amount"}, flag={"type": "boolean"},
                       tags={"type": "array", "items": {"enum": ["a", "b"]}})  # fmt: skip
    stored = '{"tags":[],"amount":12345678901234567890.10,"flag":true,"other":{"x":1}}'
    assert answers.shown(answers.fields(schema), stored) == [
        ("Amount", "12345678901234567890.10"),
        ("flag", "yes"),
        ("tags", "none"),
        ("other", '{\n  "x": 1\n}'),
    ]


@pytest.mark.parametrize("text", ["2026-02-30", "2026-1-01", "x"])
def test_a_date_must_be_a_real_calendar_day(text: str) -> None:
    compiled = checked.compiled(msgspec.json.encode(schema_of(amount={"type": "string", "format": "date"})).decode())
    assert [v["field"] for v in checked.violations(compiled, {"amount": text})] == ["amount"]
