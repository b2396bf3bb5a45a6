"""HTTP handlers for /consumptions: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

import flask
from sqlalchemy import Row

from consumo import api_models as api
from consumo.consumptions import service
from consumo.consumptions.models import UNIT_BY_KIND, ConsumptionRecord
from consumo.http import db_session, etag_for, required_if_match, respond, typed_body
from consumo.idempotency import replay as idempotency
from consumo.security.caller import current_caller
from consumo.views import RowView

BASE_PATH = "/api/v1/consumptions"


# The response schema states no `multipleOf` for quantity: a float check of 0.001 would
# reject exact NUMERIC(13, 3) values such as 9394981.483 through binary rounding.
RECORD_JSON = RowView(
    api.Consumption,
    service.RECORD_VIEW,
    {
        "unit": lambda item: UNIT_BY_KIND[item["kind"]],
        "quantity": lambda item: float(item["quantity"]),
    },
)


def record_json(record: ConsumptionRecord | Row[Any]) -> dict[str, Any]:
    """A record (the ORM object after a write, a RECORD_VIEW row on reads) as the contract's JSON."""
    return RECORD_JSON.of_object(record) if isinstance(record, ConsumptionRecord) else RECORD_JSON.of_row(record)


def _record_headers(record: ConsumptionRecord | Row[Any]) -> dict[str, str]:
    return {"ETag": etag_for(record.version)}


def list_consumptions(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    kind: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    q: str | None = None,
    meter_id: str | None = None,
    source: str | None = None,
    scope: str = "mine",
    sort: str = "-period_start",
    limit: int = 25,
    cursor: str | None = None,
) -> flask.Response:
    filters = service.RecordFilters(
        kind=kind,
        period_from=date.fromisoformat(from_) if from_ else None,
        period_to=date.fromisoformat(to) if to else None,
        notes_contain=q,
        meter_id=uuid.UUID(meter_id) if meter_id else None,
        source=source,
        # The contract's enums validated these; the casts only tell the type checker.
        scope=cast(service.Scope, scope),
        sort=cast(service.Sort, sort),
        limit=limit,
        cursor=cursor,
    )
    page = service.list_visible_records(db_session(), current_caller(), filters)
    return respond({"items": [RECORD_JSON.of_row(row) for row in page.items], "next_cursor": page.next_cursor})


def create_consumption(body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[dict[str, Any], dict[str, str]]:
        record = service.create_record(session, caller, typed_body(api.ConsumptionCreate, body))
        return record_json(record), {"Location": f"{BASE_PATH}/{record.id}", **_record_headers(record)}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, "create_consumption")
    return idempotency.create_once(session, scope, body, create)


def get_consumption(consumption_id: str) -> flask.Response:
    record = service.get_visible_record(db_session(), current_caller(), uuid.UUID(consumption_id))
    return respond(record_json(record), headers=_record_headers(record))


def update_consumption(consumption_id: str, body: dict[str, Any]) -> flask.Response:
    precondition = required_if_match()
    record = service.update_record(
        db_session(),
        current_caller(),
        uuid.UUID(consumption_id),
        precondition=precondition,
        changes=typed_body(api.ConsumptionUpdate, body),
    )
    return respond(record_json(record), headers=_record_headers(record))


def delete_consumption(consumption_id: str) -> flask.Response:
    precondition = required_if_match()
    service.delete_record(db_session(), current_caller(), uuid.UUID(consumption_id), precondition=precondition)
    return respond(None, 204)
