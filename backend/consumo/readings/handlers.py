"""HTTP handlers for /meters/{meter_id}/readings: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from typing import Any

import flask

from consumo import api_models as api
from consumo.http import db_session, etag_for, required_if_match, respond, typed_body
from consumo.idempotency import replay as idempotency
from consumo.readings import service
from consumo.security.caller import current_caller

BASE_PATH = "/api/v1/meters"


def reading_model(view: service.ReadingView) -> api.Reading:
    reading = view.reading
    final_index = reading.replaced_meter_final_index
    return api.Reading(
        id=reading.id,
        meter_id=reading.meter_id,
        date=reading.reading_date,
        index_value=float(reading.index_value),
        replacement=reading.replacement,
        replaced_meter_final_index=float(final_index) if final_index is not None else None,
        consumption_id=view.consumption_id,
        version=reading.version,
        created_at=reading.created_at,
        updated_at=reading.updated_at,
    )


def _reading_headers(view: service.ReadingView) -> dict[str, str]:
    return {"ETag": etag_for(view.reading.version)}


def list_readings(meter_id: str, limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_readings(db_session(), current_caller(), uuid.UUID(meter_id), limit=limit, cursor=cursor)
    return respond(api.ReadingPage(items=[reading_model(v) for v in page.items], next_cursor=page.next_cursor))


def create_reading(meter_id: str, body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[api.Reading, dict[str, str]]:
        view = service.create_reading(session, caller, uuid.UUID(meter_id), typed_body(api.ReadingCreate, body))
        location = f"{BASE_PATH}/{view.reading.meter_id}/readings/{view.reading.id}"
        return reading_model(view), {"Location": location, **_reading_headers(view)}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, f"create_reading:{uuid.UUID(meter_id)}")
    return idempotency.create_once(session, scope, body, create)


def get_reading(meter_id: str, reading_id: str) -> flask.Response:
    view = service.get_reading(db_session(), current_caller(), uuid.UUID(meter_id), uuid.UUID(reading_id))
    return respond(reading_model(view), headers=_reading_headers(view))


def update_reading(meter_id: str, reading_id: str, body: dict[str, Any]) -> flask.Response:
    precondition = required_if_match()
    view = service.update_reading(
        db_session(),
        current_caller(),
        uuid.UUID(meter_id),
        uuid.UUID(reading_id),
        precondition=precondition,
        changes=typed_body(api.ReadingUpdate, body),
    )
    return respond(reading_model(view), headers=_reading_headers(view))


def delete_reading(meter_id: str, reading_id: str) -> flask.Response:
    precondition = required_if_match()
    service.delete_reading(
        db_session(), current_caller(), uuid.UUID(meter_id), uuid.UUID(reading_id), precondition=precondition
    )
    return respond(None, 204)
