"""Roles and API keys: ordered powers, labelled keys, and secrets that stay whole."""

import pytest

from service.domain.roles import ANONYMOUS, ApiKey, Role, parse_keys


def test_each_role_may_do_what_the_ones_below_it_may() -> None:
    assert Role.PUBLIC < Role.AGENT < Role.REVIEWER < Role.ADMIN
    assert [r.text for r in Role] == ["public", "agent", "reviewer", "admin"]
    assert ANONYMOUS.role is Role.ADMIN and ANONYMOUS.label == "anonymous"


def test_labelled_keys_are_label_secret_pairs() -> None:
    keys = parse_keys(" ci=abc , bot@team=x=y ,,", Role.AGENT, labelled=True)
    assert keys == [
        ApiKey(label="ci", role=Role.AGENT, secret="abc"),
        ApiKey(label="bot@team", role=Role.AGENT, secret="x=y"),  # only the first `=` splits
    ]


@pytest.mark.parametrize("text", ["justasecret", "=abc", "bad label=abc", "ci="])
def test_a_labelled_entry_that_is_not_a_pair_is_refused_naming_its_place(text: str) -> None:
    with pytest.raises(ValueError, match="entry 1 is not label=secret"):
        parse_keys(text, Role.REVIEWER, labelled=True)


def test_unlabelled_keys_are_admin_secrets_and_base64_padding_stays_in_the_secret() -> None:
    keys = parse_keys("c2VjcmV0==,ops=abc", Role.ADMIN, labelled=False)
    assert [(k.label, k.secret) for k in keys] == [("admin", "c2VjcmV0=="), ("ops", "abc")]


def test_a_key_never_shows_its_secret() -> None:
    key = ApiKey(label="ci", role=Role.AGENT, secret="hunter2")
    assert "hunter2" not in repr(key) and repr(key) == "ApiKey(label='ci', role=agent)"
