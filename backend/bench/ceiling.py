"""The ceilings the benchmarks compare the API with (DESIGN §7): plain Flask on the same server
setup, doing exactly the SQL Consumo does and nothing else.

Served as Connexion serves Consumo's Flask app (a2wsgi inside an ASGI server: uvicorn for
`bench_kpis.py`, gunicorn with the API's own uvicorn workers for `bench.py`). Each request checks
a connection out of the API's own engine (its role and pool), sets the tenant for row-level
security, runs the statement in a transaction, answers with orjson. No contract, no validation,
no authentication, no ORM: what Consumo costs above this is the price of its request layer.

    uvicorn ceiling:app   (with backend/ and backend/bench/ on PYTHONPATH; the benchmarks do it)
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import flask
import orjson
from a2wsgi import WSGIMiddleware
from sqlalchemy import text

from consumo.db import app_engine

# The statement the API runs for a list page (GET /consumptions, scope mine, newest period first).
LIST_SQL = text("""
SELECT r.id, r.kind, r.quantity, r.period_start, r.period_end, r.cost_minor, r.currency, r.notes, r.source,
       r.meter_id, r.cost_from_tariff, r.owner_id, r.version, r.created_at, r.updated_at,
       consumption_overlaps(r.tenant_id, r.owner_id, r.kind, r.meter_id, r.id, r.period_start, r.period_end, 100)
           AS overlaps
FROM consumption_records r
WHERE r.tenant_id = :tenant AND r.owner_id = :owner
ORDER BY r.period_start DESC, r.id DESC
LIMIT 26
""")
# The insert the API runs for a create (the roll-up trigger fires as it does for the API).
INSERT_SQL = text("""
INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, period_end, cost_minor,
                                 currency, notes, source, cost_from_tariff, version, created_at, updated_at,
                                 created_by, updated_by)
VALUES (:tenant, :id, :owner, :kind, :quantity, :start, :end, :cost, :currency,
        :notes, 'manual', false, 1, :now, :now, :owner, :owner)
RETURNING id, kind, quantity, period_start, period_end, cost_minor, currency, notes, source, meter_id,
          cost_from_tariff, owner_id, version, created_at, updated_at
""")
SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")

flask_app = flask.Flask(__name__)


def _json(body: Any, status: int = 200) -> flask.Response:
    return flask.Response(orjson.dumps(body), status=status, mimetype="application/json")


def _item(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["quantity"] = float(item["quantity"])
    return item


def _tenant_scoped(tenant: str, statement: Any, params: dict[str, Any]) -> list[Any]:
    with app_engine().begin() as connection:
        connection.execute(SET_TENANT, {"tenant": tenant})
        return list(connection.execute(statement, params))


@flask_app.get("/ceiling")
def ceiling() -> flask.Response:
    with app_engine().begin() as connection:
        value = connection.execute(text("SELECT 1")).scalar_one()
    return flask.jsonify(ok=value == 1)


@flask_app.get("/ceiling/health")
def health() -> flask.Response:
    return _json({"status": "ok"})


@flask_app.get("/ceiling/list")
def list_page() -> flask.Response:
    tenant, owner = flask.request.args["tenant"], flask.request.args["owner"]
    rows = _tenant_scoped(tenant, LIST_SQL, {"tenant": tenant, "owner": owner})
    return _json({"items": [_item(row) for row in rows[:25]], "next_cursor": "next" if len(rows) > 25 else None})


@flask_app.post("/ceiling/create")
def create() -> flask.Response:
    tenant, owner = flask.request.args["tenant"], flask.request.args["owner"]
    data = orjson.loads(flask.request.get_data())
    now = datetime.now(UTC)
    row = _tenant_scoped(
        tenant,
        INSERT_SQL,
        {
            "tenant": tenant,
            "id": uuid.uuid4(),
            "owner": owner,
            "kind": data["kind"],
            "quantity": data["quantity"],
            "start": date.fromisoformat(data["period_start"]),
            "end": date.fromisoformat(data["period_end"]),
            "cost": data.get("cost_minor"),
            "currency": data.get("currency", "EUR"),
            "notes": data.get("notes"),
            "now": now,
        },
    )[0]
    return _json(_item(row), 201)


app = WSGIMiddleware(flask_app)
