"""Email addresses: each one bare address, lists of them distinct, refusals naming the field."""

import pytest

from service.domain.emails import distinct_addresses, is_address
from service.domain.errors import InvalidField


@pytest.mark.parametrize("text", ["alice@example.com", "a.b+tag@mail.example.co.uk", "x@y.z"])
def test_a_bare_address_is_one(text: str) -> None:
    assert is_address(text)


@pytest.mark.parametrize(
    "text",
    ["", "alice", "alice@localhost", "Alice <alice@example.com>", "x@a.com,attacker@evil.com", "a b@example.com",
     "a@b@example.com", "a@example..com", "a\n@example.com", "a" * 65 + "@example.com",
     "a@" + "b" * 250 + ".com", 42, None],
)  # fmt: skip
def test_anything_else_is_not(text: object) -> None:
    assert not is_address(text)


def test_a_list_of_distinct_addresses_is_kept_in_order() -> None:
    assert distinct_addresses(["b@x.io", "a@x.io"], "participants", least=1, most=5) == ("b@x.io", "a@x.io")


@pytest.mark.parametrize(
    ("value", "detail"),
    [("a@x.io", "array"), ([], "1 to 2"), (["a@x.io"] * 3, "1 to 2"), (["a@x.io", "A@X.io"], "appears twice"),
     (["a@x.io", "x,evil@y.io"], "'x,evil@y.io' is not one")],
)  # fmt: skip
def test_a_bad_list_is_refused_naming_the_field(value: object, detail: str) -> None:
    with pytest.raises(InvalidField) as refused:
        distinct_addresses(value, "participants", least=1, most=2)
    assert refused.value.field == "participants" and detail in str(refused.value)
