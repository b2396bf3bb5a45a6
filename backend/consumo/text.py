"""Free text that must say something: a name is blank when nothing in it is visible."""

from __future__ import annotations

import unicodedata

from consumo.problems import UnprocessableContent

# Whitespace (any Unicode space, e.g. U+3000), control (Cc) and format (Cf: zero-width
# space, joiners, BOM, bidi marks) characters print nothing.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def visible_name(value: str, *, field: str) -> str:
    """`value` without invisible characters at either end; a 422 on `field` when nothing is left."""
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    if start == end:
        raise UnprocessableContent(
            "Must contain a visible character, not only spaces or invisible ones.", field=field, code="text.not_visible"
        )
    return value[start:end]
