"""A responseSchema's inputs as HTML: blank (rendered once per schema and place) or as sent back with errors."""

import functools
from collections.abc import Mapping

from markupsafe import Markup

from service import answers
from service.domain import answers as domain_answers
from service.web import pages


def inputs(schema: str, values: Mapping[str, list[str]] | None, errors: Mapping[str, str], ids: str = "") -> Markup:
    """The answer inputs: blank when `values` is None, else as sent with `errors` by field; `ids` prefixes their ids."""
    if values is None:
        return blank(schema, ids)
    fields = answers.form(schema)
    return pages.fragment("answer_fields.html", answer_fields=fields, answer_values=values, answer_errors=errors,
                          ids=ids)  # fmt: skip


@functools.lru_cache(maxsize=256)
def blank(schema: str, ids: str = "") -> Markup:
    """The inputs of `schema` with its defaults and no errors (the review page's: one per schema)."""
    return inputs(schema, domain_answers.initial_values(answers.form(schema)), {}, ids)
