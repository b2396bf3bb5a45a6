"""HTTP handlers for /meters and their tariffs: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from typing import Any, cast

import flask

from consumo import api_models as api
from consumo.http import db_session, etag_for, required_if_match, respond, typed_body
from consumo.idempotency import replay as idempotency
from consumo.meters import service
from consumo.meters.models import Meter, MeterTariff
from consumo.security.caller import current_caller

BASE_PATH = "/api/v1/meters"


def meter_model(meter: Meter) -> api.Meter:
    plan = service.plan_of(meter)
    return api.Meter(
        id=meter.id,
        kind=meter.kind,
        name=meter.name,
        identifier=meter.identifier,
        currency=meter.currency,
        monthly_budget_minor=meter.monthly_budget_minor,
        plan=api.MobilePlan.model_validate(plan) if plan is not None else None,
        balance_minor=meter.balance_minor,
        low_balance_minor=meter.low_balance_minor,
        owner_id=meter.owner_id,
        version=meter.version,
        created_at=meter.created_at,
        updated_at=meter.updated_at,
    )


def tariff_model(meter: Meter, tariff: MeterTariff) -> api.Tariff:
    return api.Tariff(
        id=tariff.id,
        valid_from=tariff.valid_from,
        unit_price_minor=float(tariff.unit_price_minor),
        fixed_daily_minor=float(tariff.fixed_daily_minor),
        currency=meter.currency,
        created_at=tariff.created_at,
    )


def _meter_headers(meter: Meter) -> dict[str, str]:
    return {"ETag": etag_for(meter.version)}


def list_meters(
    kind: str | None = None,
    identifier: str | None = None,
    scope: str = "mine",
    limit: int = 25,
    cursor: str | None = None,
) -> flask.Response:
    page = service.list_visible_meters(
        db_session(),
        current_caller(),
        kind=kind,
        identifier=identifier,
        scope=cast(service.Scope, scope),
        limit=limit,
        cursor=cursor,
    )  # the contract's enum validated `scope`
    return respond(api.MeterPage(items=[meter_model(m) for m in page.items], next_cursor=page.next_cursor))


def create_meter(body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[api.Meter, dict[str, str]]:
        meter = service.create_meter(session, caller, typed_body(api.MeterCreate, body))
        return meter_model(meter), {"Location": f"{BASE_PATH}/{meter.id}", **_meter_headers(meter)}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, "create_meter")
    return idempotency.create_once(session, scope, body, create)


def get_meter(meter_id: str) -> flask.Response:
    meter = service.get_readable_meter(db_session(), current_caller(), uuid.UUID(meter_id))
    return respond(meter_model(meter), headers=_meter_headers(meter))


def update_meter(meter_id: str, body: dict[str, Any]) -> flask.Response:
    precondition = required_if_match()
    meter = service.update_meter(
        db_session(),
        current_caller(),
        uuid.UUID(meter_id),
        precondition=precondition,
        changes=typed_body(api.MeterUpdate, body),
    )
    return respond(meter_model(meter), headers=_meter_headers(meter))


def delete_meter(meter_id: str) -> flask.Response:
    precondition = required_if_match()
    service.delete_meter(db_session(), current_caller(), uuid.UUID(meter_id), precondition=precondition)
    return respond(None, 204)


def list_tariffs(meter_id: str, limit: int = 25, cursor: str | None = None) -> flask.Response:
    meter, page = service.list_tariffs(db_session(), current_caller(), uuid.UUID(meter_id), limit=limit, cursor=cursor)
    return respond(api.TariffPage(items=[tariff_model(meter, t) for t in page.items], next_cursor=page.next_cursor))


def create_tariff(meter_id: str, body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[api.Tariff, dict[str, str]]:
        meter, tariff = service.create_tariff(session, caller, uuid.UUID(meter_id), typed_body(api.TariffCreate, body))
        return tariff_model(meter, tariff), {"Location": f"{BASE_PATH}/{meter.id}/tariffs/{tariff.id}"}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, f"create_tariff:{meter_id}")
    return idempotency.create_once(session, scope, body, create)


def get_tariff(meter_id: str, tariff_id: str) -> flask.Response:
    meter, tariff = service.get_tariff(db_session(), current_caller(), uuid.UUID(meter_id), uuid.UUID(tariff_id))
    return respond(tariff_model(meter, tariff))


def delete_tariff(meter_id: str, tariff_id: str) -> flask.Response:
    service.delete_tariff(db_session(), current_caller(), uuid.UUID(meter_id), uuid.UUID(tariff_id))
    return respond(None, 204)
