"""Opaque keyset cursors: the sort key of a page's last row, as URL-safe base64 JSON."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from consumo.problems import UnprocessableContent

T = TypeVar("T")
NOT_OURS = "The cursor is not one this list issued."


def encode_cursor(payload: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def _unstorable(value: Any) -> bool:
    """Text PostgreSQL cannot compare with (a NUL, a lone surrogate): no cursor we issue has it."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in value


def decode_cursor(cursor: str, read: Callable[[dict[str, Any]], T], *, detail: str = NOT_OURS) -> T:
    """`read(payload)` turns the decoded payload into the list's key; anything that does not
    decode, or that `read` rejects (KeyError, ValueError, TypeError…), is a 422 on `cursor`."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(payload, dict) or any(_unstorable(value) for value in payload.values()):
            raise ValueError
        return read(payload)
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError):
        raise UnprocessableContent(detail, field="cursor", code="cursor.invalid") from None
