"""A responseSchema's inputs as HTML: blank (with the schema's defaults) or as sent back with errors."""

import functools
from collections.abc import Mapping

from markupsafe import Markup

from service import answers
from service.domain import answers as domain_answers
from service.web import pages


def inputs(schema: str, values: Mapping[str, list[str]] | None, errors: Mapping[str, str]) -> Markup:
    """The review page's inputs: blank when `values` is None (rendered once per schema), else as sent with `errors`."""
    if values is None:
        return _review_blank(schema)
    return _render(schema, values, errors, "")


def blank(schema: str, ids: str) -> Markup:
    """The inputs with the schema's defaults, their ids prefixed with `ids` (the inbox's: one form per line)."""
    return _render(schema, domain_answers.initial_values(answers.form(schema)), {}, ids)


@functools.lru_cache(maxsize=256)
def _review_blank(schema: str) -> Markup:
    return blank(schema, "")


def _render(schema: str, values: Mapping[str, list[str]], errors: Mapping[str, str], ids: str) -> Markup:
    return pages.fragment("answer_fields.html", answer_fields=answers.form(schema), answer_values=values,
                          answer_errors=errors, ids=ids)  # fmt: skip
