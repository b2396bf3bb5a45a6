"""Idempotent creates: a retried request with the same `Idempotency-Key` replays the first response.

The key row is inserted in the same transaction as the object it creates, with
`ON CONFLICT DO NOTHING`: a concurrent retry waits on the unique key until the first
commits, then finds the stored response. So a key yields at most one object, and an
acknowledged response can always be replayed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from consumo.idempotency.models import IdempotencyKey
from consumo.problems import UnprocessableContent

RETENTION_HOURS = 24


@dataclass(frozen=True)
class KeyScope:
    """Whose key it is and for which operation: keys of different users never collide."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    operation: str


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str]


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def claim_key(session: Session, scope: KeyScope, key: str, body: Any) -> StoredResponse | None:
    """Claim `key` for this request. Returns the stored response if it was already used.

    Raises 422 when the key was used with another body. A key older than
    RETENTION_HOURS is forgotten: it may be used again for a new request.
    """
    fingerprint = request_fingerprint(body)
    if _insert_claim(session, scope, key, fingerprint):
        return None
    existing = session.get_one(
        IdempotencyKey, (scope.tenant_id, scope.user_id, scope.operation, key), with_for_update=True
    )
    if existing.created_at < datetime.now(UTC) - timedelta(hours=RETENTION_HOURS):
        session.delete(existing)
        session.flush()
        if _insert_claim(session, scope, key, fingerprint):
            return None
        existing = session.get_one(IdempotencyKey, (scope.tenant_id, scope.user_id, scope.operation, key))
    if existing.request_hash != fingerprint:
        raise UnprocessableContent(
            "This Idempotency-Key was already used with a different request body.",
            field="Idempotency-Key",
            code="idempotency.key_reused",
        )
    assert existing.status_code is not None  # written in the claiming transaction
    return StoredResponse(existing.status_code, existing.response_body, dict(existing.response_headers or {}))


def _insert_claim(session: Session, scope: KeyScope, key: str, fingerprint: str) -> bool:
    claimed = session.execute(
        insert(IdempotencyKey)
        .values(
            tenant_id=scope.tenant_id,
            user_id=scope.user_id,
            operation=scope.operation,
            key=key,
            request_hash=fingerprint,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    ).first()
    return claimed is not None


def store_response(session: Session, scope: KeyScope, key: str, response: StoredResponse) -> None:
    row = session.get_one(IdempotencyKey, (scope.tenant_id, scope.user_id, scope.operation, key))
    row.status_code = response.status_code
    row.response_body = response.body
    row.response_headers = response.headers
    session.flush()
