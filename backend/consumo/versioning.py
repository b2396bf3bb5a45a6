"""Rows edited under If-Match carry `version` (their ETag), `updated_at` and `updated_by` (and
`created_at`, `created_by`); a new row takes them from `first_version`, every change goes through
`touch`, so none is ever forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol, TypedDict

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


class FirstVersion(TypedDict):
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: uuid.UUID
    updated_by: uuid.UUID


def first_version(caller: Caller, now: datetime | None = None) -> FirstVersion:
    """The audit columns of a row `caller` creates now: `Model(**first_version(caller, now), …)`."""
    now = now or datetime.now(UTC)
    return {
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": caller.user_id,
        "updated_by": caller.user_id,
    }
