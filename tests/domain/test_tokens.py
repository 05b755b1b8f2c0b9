"""HMAC tokens: bound to their scope, constant-time checked, any text refused without an error."""

import asyncio

import pytest

from service.domain.tokens import Signer, is_number


class Secret:
    """The shared page secret, counting how often it is fetched."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.fetches = 0

    async def fetch(self) -> str:
        """The secret."""
        self.fetches += 1
        return self.text


def signer(secret: str = "s3cret") -> Signer:
    """A signer of `secret`."""
    return Signer(Secret(secret).fetch)


def test_a_token_is_valid_for_its_scope_only_and_the_secret_is_fetched_once() -> None:
    secret = Secret("s3cret")
    tokens = Signer(secret.fetch)

    async def check() -> None:
        token = await tokens.token("review:1")
        assert await tokens.is_valid("review:1", token)
        assert not await tokens.is_valid("review:2", token)
        assert await tokens.token("review:1") == token and "=" not in token  # stable, URL-safe, unpadded
        assert secret.fetches == 1

    asyncio.run(check())


def test_another_secret_makes_other_tokens() -> None:
    async def both() -> tuple[str, str]:
        return await signer("one").token("scope"), await signer("two").token("scope")

    first, second = asyncio.run(both())
    assert first != second


@pytest.mark.parametrize("token", [None, "", "x", "é²☃", "\x00", "a" * 10_000])
def test_any_other_text_is_simply_not_valid(token: str | None) -> None:
    assert asyncio.run(signer().is_valid("scope", token)) is False


NUMBERS = [("0", True), ("1700000000000", True), ("", False), ("²", False), ("١٢", False), ("-1", False),
           ("1_000", False), (" 1", False)]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_a_number_is_ascii_digits_only(text: str, expected: bool) -> None:
    assert is_number(text) is expected
