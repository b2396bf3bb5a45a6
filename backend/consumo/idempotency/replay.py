"""The web edge of idempotent creates: a retried request with the same `Idempotency-Key` is
answered with the first response (`consumo.idempotency.service` claims and stores the keys)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flask
import orjson
from pydantic import BaseModel
from sqlalchemy.orm import Session

from consumo.http import json_bytes, request_header, respond
from consumo.idempotency.service import KeyScope, StoredResponse, claim_key, store_response

__all__ = ["KeyScope", "create_once"]


def create_once(
    session: Session,
    scope: KeyScope,
    body: Any,
    create: Callable[[], tuple[BaseModel | Mapping[str, Any], dict[str, str]]],
) -> flask.Response:
    """Run `create` (which returns the 201 body and headers) unless this request's
    Idempotency-Key was seen before, in which case the first response is replayed.
    `scope.operation` names what is created, and where (e.g. the meter's id for a top-up),
    so a key reused on another resource is not mistaken for a retry."""
    key = request_header("Idempotency-Key")
    if key is not None:
        stored = claim_key(session, scope, key, body)
        if stored is not None:
            replay = respond(stored.body, stored.status_code, stored.headers)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
    model, headers = create()
    if key is not None:
        store_response(session, scope, key, StoredResponse(201, orjson.loads(json_bytes(model)), headers))
    return respond(model, 201, headers)
