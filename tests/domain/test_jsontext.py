"""JSON text in and out: the strict rules on the way in, values shown exactly as stored on the way out."""

import pytest

from service.domain import jsontext
from service.domain.errors import InvalidField, MalformedJson


@pytest.mark.parametrize(
    ("body", "refusal", "says"),
    [
        (b'{"a": 1, "a": 2}', InvalidField, "has the key 'a' twice"),
        (b'{"a": {"b": 1, "b": 1}}', InvalidField, "has the key 'b' twice"),
        (b'{"a": NaN}', InvalidField, "not finite (NaN)"),
        (b'{"a": 1e400}', InvalidField, "not finite (1e400)"),
        (b'{"a": "\xff"}', MalformedJson, "not valid UTF-8 (byte 7)"),
        (b"[" * 65 + b"]" * 65, MalformedJson, "deeper than 64 levels"),
    ],
)
def test_what_a_reader_could_not_trust_is_refused_by_name(body: bytes, refusal: type[Exception], says: str) -> None:
    with pytest.raises(refusal, match=says.replace("(", r"\(").replace(")", r"\)")):
        jsontext.check(body)


def test_what_is_fine_passes_as_its_text() -> None:
    assert jsontext.check(b'{"a": [1, 2.5, "x"], "b": {"a": 1}}') == '{"a": [1, 2.5, "x"], "b": {"a": 1}}'
    assert jsontext.check(b"[" * 64 + b"]" * 64)  # exactly at the limit
    assert jsontext.check(b"not json") == "not json"  # the decoder that reads it says so in its own words
    assert jsontext.depth('"[[[[' + "[" * 70 + '"') == 0  # brackets inside a string do not nest


def test_pretty_shows_values_as_stored() -> None:
    shown = jsontext.pretty('{"n":12345678901234567890,"d":1.10,"s":"caf\\u00e9","c":"\\u0007","e":"\\ud83d\\ude00"}')
    assert '"n": 12345678901234567890' in shown and '"d": 1.10' in shown  # numbers verbatim
    assert '"s": "café"' in shown and '"e": "😀"' in shown  # escapes shown as their characters
    assert '"c": "\\u0007"' in shown  # control characters stay escaped
