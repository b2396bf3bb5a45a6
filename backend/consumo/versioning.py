"""Rows edited under If-Match carry `version` (their ETag), `updated_at` and `updated_by`; every
change of such a row goes through `touch`, so none of the three is ever forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

from consumo.security.identity import Caller


class Versioned(Protocol):
    version: int
    updated_at: datetime
    updated_by: uuid.UUID


def touch(row: Versioned, caller: Caller, now: datetime | None = None) -> None:
    """A new version of `row`, changed now by `caller`."""
    row.version += 1
    row.updated_at = now or datetime.now(UTC)
    row.updated_by = caller.user_id
