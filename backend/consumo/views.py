"""Rows as the contract's JSON objects on hot read paths, held to the generated models.

Building a Pydantic model per row and serialising it cost several times more than the query
behind a list page. A `RowView` maps the columns a service selected straight to the JSON
object, and refuses at import time to exist when its fields and the generated model's differ,
so the contract still decides the shape (and tests validate every response against it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

Derived = Mapping[str, Callable[[dict[str, Any]], Any]]


class RowView:
    def __init__(self, model: type[BaseModel], columns: Sequence[Any], derived: Derived | None = None) -> None:
        """`columns`: the selected columns, in order (their keys name the fields); `derived`:
        fields computed from the others (or converting one), by name."""
        self.keys = tuple(column.key for column in columns)
        self.derived = dict(derived or {})
        expected = {field.alias or name for name, field in model.model_fields.items()}
        given = set(self.keys) | set(self.derived)
        if given != expected:
            raise TypeError(
                f"{model.__name__} view does not match the contract: "
                f"missing {sorted(expected - given)}, unknown {sorted(given - expected)}"
            )

    def of_row(self, row: Sequence[Any]) -> dict[str, Any]:
        item = dict(zip(self.keys, row, strict=True))
        for name, compute in self.derived.items():
            item[name] = compute(item)
        return item

    def of_object(self, value: Any) -> dict[str, Any]:
        return self.of_row([getattr(value, key) for key in self.keys])
