"""Keyset pagination, once: a page's cost does not grow with its depth.

A list names its sort key (`Keyset`: columns ending in a unique one, a direction, and how a row
becomes a cursor and back); `keyset_page` applies the cursor, orders, fetches one row more than the
page to know whether another follows, and makes the next cursor. Cursors are opaque URL-safe
base64 JSON (`consumo.cursors`); one this list did not issue is a 422 on `cursor`. A cursor names
its list: a tag of the sort key's columns and, for a list of one parent's children (an import's
errors, a meter's tariffs…), that parent (`scope`). So another list's cursor of the same shape,
or one from the same list under another parent, is refused, not read as a position here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
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


def _timestamp_and_id(payload: dict[str, Any]) -> tuple[datetime, uuid.UUID]:
    moment = datetime.fromisoformat(payload["c"])
    if moment.tzinfo is None:
        raise ValueError  # every timestamp this API stores is UTC; a naive one is not our cursor
    return moment, uuid.UUID(payload["id"])


def _text_and_id(payload: dict[str, Any]) -> tuple[str, uuid.UUID]:
    if not isinstance(payload.get("n"), str):
        raise ValueError
    return payload["n"], uuid.UUID(payload["id"])


def _position(payload: dict[str, Any]) -> tuple[int]:
    value = payload["n"]
    if isinstance(value, bool) or int(value) < 0:
        raise ValueError
    return (int(value),)


def by_position(position: Any) -> Keyset:
    """Rows in the order of a whole number unique within the list (a row number, a sequence)."""
    return Keyset(
        (position,),
        descending=False,
        payload=lambda row: {"n": str(getattr(row, position.key))},
        read=_position,
    )


def by_time_and_id(moment: Any, id_: Any, *, descending: bool) -> Keyset:
    """Rows by a timestamp column (then their id: two rows may share a moment)."""
    return Keyset(
        (moment, id_),
        descending=descending,
        payload=lambda row: {"c": getattr(row, moment.key).isoformat(), "id": str(getattr(row, id_.key))},
        read=_timestamp_and_id,
    )


def by_text_and_id(text: Any, id_: Any) -> Keyset:
    """Rows in the order of a text column, A to Z (then their id: names repeat)."""
    return Keyset(
        (text, id_),
        descending=False,
        payload=lambda row: {"n": getattr(row, text.key), "id": str(getattr(row, id_.key))},
        read=_text_and_id,
    )


def _list_tag(key: Keyset, scope: object) -> str:
    """Which list a cursor belongs to: its sort columns (table and column names) and its parent."""
    named = ",".join(f"{column.table.name}.{column.key}" for column in key.columns)
    return hashlib.sha256(f"{named}|{scope}".encode()).hexdigest()[:16]


def keyset_page(
    session: Session,
    statement: Select[Any],
    key: Keyset,
    *,
    limit: int,
    cursor: str | None,
    scalars: bool = True,
    scope: object = None,
) -> Page[Any]:
    """The page after `cursor` (the first without one) of `statement`'s rows (the first entity of
    each when `scalars`, else whole rows). `scope`: the parent whose children the list holds."""
    tag = _list_tag(key, scope)

    def read(payload: dict[str, Any]) -> tuple[Any, ...]:
        if payload.get("l") != tag:
            raise ValueError
        return key.read(payload)

    if cursor:
        values = decode_cursor(cursor, read, detail=NOT_OURS)
        bound = tuple_(*(literal(value, column.type) for value, column in zip(values, key.columns, strict=True)))
        position = tuple_(*key.columns)
        statement = statement.where(position < bound if key.descending else position > bound)
    order = [column.desc() if key.descending else column.asc() for column in key.columns]
    result = session.execute(statement.order_by(*order).limit(limit + 1))
    rows: Sequence[Any] = result.scalars().all() if scalars else result.all()
    items = list(rows[:limit])
    return Page(items, encode_cursor({**key.payload(items[-1]), "l": tag}) if len(rows) > limit else None)
