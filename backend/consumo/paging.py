"""Keyset pagination, once: a page's cost does not grow with its depth.

A list names its sort key (`Keyset`: columns ending in a unique one, a direction, and how a row
becomes a cursor and back); `keyset_page` applies the cursor, orders, fetches one row more than the
page to know whether another follows, and makes the next cursor. Cursors are opaque URL-safe
base64 JSON (`consumo.cursors`); one this list did not issue is a 422 on `cursor`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import Session

from consumo.cursors import NOT_OURS, decode_cursor, encode_cursor

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Keyset:
    columns: tuple[Any, ...]  # the sort key; together unique
    descending: bool
    payload: Callable[[Any], dict[str, str]]  # a row → its key as cursor JSON
    read: Callable[[dict[str, Any]], tuple[Any, ...]]  # cursor JSON → the key's values (raise if not ours)


def keyset_page(
    session: Session, statement: Select[Any], key: Keyset, *, limit: int, cursor: str | None, scalars: bool = True
) -> Page[Any]:
    """The page after `cursor` (the first without one) of `statement`'s rows (the first entity of
    each when `scalars`, else whole rows)."""
    if cursor:
        values = decode_cursor(cursor, key.read, detail=NOT_OURS)
        bound = tuple_(*(literal(value, column.type) for value, column in zip(values, key.columns, strict=True)))
        position = tuple_(*key.columns)
        statement = statement.where(position < bound if key.descending else position > bound)
    order = [column.desc() if key.descending else column.asc() for column in key.columns]
    result = session.execute(statement.order_by(*order).limit(limit + 1))
    rows: Sequence[Any] = result.scalars().all() if scalars else result.all()
    items = list(rows[:limit])
    return Page(items, encode_cursor(key.payload(items[-1])) if len(rows) > limit else None)
