"""HTTP handlers for a mobile line's status, top-ups and simulated usage: arguments in,
service call, response out."""

from __future__ import annotations

import uuid
from typing import Any

import flask

from consumo import api_models as api
from consumo.consumptions.handlers import record_json
from consumo.http import db_session, respond, typed_body
from consumo.idempotency import replay as idempotency
from consumo.lines import service
from consumo.lines.models import TopUp
from consumo.meters.models import Meter
from consumo.security.caller import current_caller

METERS_PATH = "/api/v1/meters"
# Usage is recorded as consumption records; the first one stands for what was created.
CONSUMPTIONS_PATH = "/api/v1/consumptions"


def status_model(status: service.LineStatus) -> api.LineStatus:
    meter, cycle = status.meter, status.cycle
    assert meter.balance_minor is not None  # a line always has a balance
    return api.LineStatus(
        meter_id=meter.id,
        identifier=meter.identifier,
        as_of=cycle.today,
        cycle_start=cycle.start,
        cycle_end=cycle.end,
        days_elapsed=cycle.days_elapsed,
        days_left=cycle.days_left,
        allowances=[
            api.Allowance(
                kind=a.kind,
                unit=a.unit,
                included=a.included,
                used=float(a.used),
                remaining=float(a.remaining),
                used_pct=a.used_pct,
                runs_out_on=a.runs_out_on,
            )
            for a in status.allowances
        ],
        balance_minor=meter.balance_minor,
        currency=meter.currency,
        spent_this_cycle_minor=status.spent_minor,
        balance_runs_out_on=status.balance_runs_out_on,
    )


def get_meter_status(meter_id: str) -> flask.Response:
    status = service.line_status(db_session(), current_caller(), uuid.UUID(meter_id))
    return respond(status_model(status))


def top_up_model(meter: Meter, top_up: TopUp) -> api.TopUp:
    return api.TopUp(
        id=top_up.id,
        amount_minor=top_up.amount_minor,
        currency=meter.currency,
        balance_minor=top_up.balance_after_minor,
        created_at=top_up.created_at,
    )


def list_top_ups(meter_id: str, limit: int = 25, cursor: str | None = None) -> flask.Response:
    meter, page = service.list_top_ups(db_session(), current_caller(), uuid.UUID(meter_id), limit=limit, cursor=cursor)
    return respond(api.TopUpPage(items=[top_up_model(meter, t) for t in page.items], next_cursor=page.next_cursor))


def get_top_up(meter_id: str, top_up_id: str) -> flask.Response:
    meter, top_up = service.get_top_up(db_session(), current_caller(), uuid.UUID(meter_id), uuid.UUID(top_up_id))
    return respond(top_up_model(meter, top_up))


def create_top_up(meter_id: str, body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[api.TopUp, dict[str, str]]:
        amount = typed_body(api.TopUpCreate, body).amount_minor
        meter, top_up = service.top_up(session, caller, uuid.UUID(meter_id), amount)
        return top_up_model(meter, top_up), {"Location": f"{METERS_PATH}/{meter.id}/top-ups/{top_up.id}"}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, f"create_top_up:{meter_id}")
    return idempotency.create_once(session, scope, body, create)


def simulate_usage(meter_id: str, body: dict[str, Any] | None = None) -> flask.Response:
    session, caller = db_session(), current_caller()
    request = body or {}

    def create() -> tuple[api.SimulationResult, dict[str, str]]:
        usage = typed_body(api.SimulationRequest, request)
        simulation = service.simulate_usage(session, caller, uuid.UUID(meter_id), usage)
        return api.SimulationResult(
            records=[record_json(r) for r in simulation.records],
            cost_minor=simulation.cost_minor,
            status=status_model(simulation.status),
        ), {"Location": f"{CONSUMPTIONS_PATH}/{simulation.records[0].id}"}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, f"simulate_usage:{meter_id}")
    return idempotency.create_once(session, scope, request, create)
