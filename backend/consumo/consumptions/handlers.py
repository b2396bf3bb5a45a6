"""HTTP handlers for /consumptions: arguments in, service call, response out."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date
from typing import Any, cast

import flask
import orjson
from sqlalchemy import Row

from consumo import api_models as api
from consumo.consumptions import service
from consumo.consumptions.models import UNIT_BY_KIND, ConsumptionRecord
from consumo.db import tenant_connection
from consumo.http import db_session, etag_for, required_if_match, respond, typed_body
from consumo.idempotency import replay as idempotency
from consumo.kpis.service import COST_CAP, round_quantity
from consumo.security.caller import current_caller
from consumo.views import RowView

BASE_PATH = "/api/v1/consumptions"
KIND_ORDER = {kind: index for index, kind in enumerate(UNIT_BY_KIND)}
MAX_CURRENCIES = 20  # the contract's CostList bound; the largest amounts come first


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
    """A record (the ORM object after a write, read back with its overlaps; a RECORD_VIEW row on
    reads) as the contract's JSON."""
    if isinstance(record, ConsumptionRecord):
        record = service.record_view(db_session(), current_caller(), record)
    return RECORD_JSON.of_row(record)


def _record_headers(record: ConsumptionRecord | Row[Any]) -> dict[str, str]:
    return {"ETag": etag_for(record.version)}


def _filters(  # noqa: PLR0917 (the list's query parameters, as Connexion passes them)
    kind: str | None,
    from_: str | None,
    to: str | None,
    q: str | None,
    meter_id: str | None,
    source: str | None,
    overlapping: bool | None,
    scope: str,
    sort: str,
    *,
    import_id: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> service.RecordFilters:
    """The list's filters from its query parameters: one place for the list, the export and the
    summary, so the export and the totals always cover exactly what the list shows."""
    return service.RecordFilters(
        kind=kind,
        period_from=date.fromisoformat(from_) if from_ else None,
        period_to=date.fromisoformat(to) if to else None,
        notes_contain=q,
        meter_id=uuid.UUID(meter_id) if meter_id else None,
        source=source,
        import_id=uuid.UUID(import_id) if import_id else None,
        overlapping=overlapping,
        # The contract's enums validated these; the casts only tell the type checker.
        scope=cast(service.Scope, scope),
        sort=cast(service.Sort, sort),
        limit=limit,
        cursor=cursor,
    )


def list_consumptions(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    kind: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    q: str | None = None,
    meter_id: str | None = None,
    source: str | None = None,
    overlapping: bool | None = None,
    scope: str = "mine",
    sort: str = "-period_start",
    limit: int = 25,
    cursor: str | None = None,
    import_id: str | None = None,
) -> flask.Response:
    filters = _filters(
        kind, from_, to, q, meter_id, source, overlapping, scope, sort, import_id=import_id, limit=limit, cursor=cursor
    )
    page = service.list_visible_records(db_session(), current_caller(), filters)
    return respond({"items": [RECORD_JSON.of_row(row) for row in page.items], "next_cursor": page.next_cursor})


def summarize_consumptions(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    kind: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    q: str | None = None,
    meter_id: str | None = None,
    source: str | None = None,
    overlapping: bool | None = None,
    scope: str = "mine",
    import_id: str | None = None,
) -> flask.Response:
    filters = _filters(kind, from_, to, q, meter_id, source, overlapping, scope, "-period_start", import_id=import_id)
    summary = service.summarize_records(db_session(), current_caller(), filters)
    return respond(
        {
            "records": summary.records,
            "quantities": [
                {"kind": kind, "unit": UNIT_BY_KIND[kind], "quantity": float(round_quantity(quantity))}
                for kind, quantity in sorted(summary.quantities.items(), key=lambda item: KIND_ORDER[item[0]])
            ],
            "costs": [
                {"currency": currency, "cost_minor": min(amount, COST_CAP)}
                for currency, amount in sorted(summary.costs.items(), key=lambda item: -item[1])[:MAX_CURRENCIES]
            ],
            "uncosted_records": summary.uncosted_records,
        }
    )


def create_consumption(body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[dict[str, Any], dict[str, str]]:
        record = service.create_record(session, caller, typed_body(api.ConsumptionCreate, body))
        return record_json(record), {"Location": f"{BASE_PATH}/{record.id}", **_record_headers(record)}

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, "create_consumption")
    return idempotency.create_once(session, scope, body, create)


def create_consumptions_batch(body: dict[str, Any]) -> flask.Response:
    session, caller = db_session(), current_caller()

    def create() -> tuple[dict[str, Any], dict[str, str]]:
        records = service.create_records(session, caller, body["items"])
        return {"count": len(records), "ids": [str(record.id) for record in records]}, {
            "Location": f"{BASE_PATH}/{records[0].id}"
        }

    scope = idempotency.KeyScope(caller.tenant_id, caller.user_id, "create_consumptions_batch")
    return idempotency.create_once(session, scope, body, create)


NDJSON = "application/x-ndjson"
CSV = "text/csv"
EXPORT_COLUMNS = (
    "id",
    "kind",
    "quantity",
    "unit",
    "period_start",
    "period_end",
    "cost_minor",
    "currency",
    "meter_id",
    "source",
    "notes",
    "created_at",
    "updated_at",
)
# A cell a spreadsheet would evaluate as a formula (OWASP "CSV injection") starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value` as a CSV cell that a spreadsheet shows as text, never runs."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_lines(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def _csv_row(row: Row[Any]) -> list[str]:
    return [
        str(row.id),
        row.kind,
        format(row.quantity, "f"),
        UNIT_BY_KIND[row.kind],
        row.period_start.isoformat(),
        row.period_end.isoformat(),
        "" if row.cost_minor is None else str(row.cost_minor),
        row.currency,
        "" if row.meter_id is None else str(row.meter_id),
        row.source,
        "" if row.notes is None else safe_cell(row.notes),
        row.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        row.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


def _ndjson_record(row: Row[Any]) -> dict[str, Any]:
    """An exported record as the list shows it, but `overlaps` (service.EXPORT_VIEW)."""
    item = row._asdict()
    item["unit"] = UNIT_BY_KIND[item["kind"]]
    item["quantity"] = float(item["quantity"])
    return item


def _export_filename(tenant_name: str, period_from: str | None, period_to: str | None, extension: str) -> str:
    """`consumo-<tenant>-<range>.<extension>`: the range is `<from>-<to>`, `from-<from>`,
    `until-<to>` or `all`, as the filters say."""
    tenant = re.sub(r"[^a-z0-9]+", "-", tenant_name.lower()).strip("-")[:60] or "tenant"
    if period_from and period_to:
        span = f"{period_from}-{period_to}"
    elif period_from or period_to:
        span = f"from-{period_from}" if period_from else f"until-{period_to}"
    else:
        span = "all"
    return f"consumo-{tenant}-{span}.{extension}"


def export_consumptions(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    kind: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    q: str | None = None,
    meter_id: str | None = None,
    source: str | None = None,
    overlapping: bool | None = None,
    scope: str = "mine",
    sort: str = "-period_start",
    import_id: str | None = None,
) -> flask.Response:
    caller = current_caller()
    filters = _filters(kind, from_, to, q, meter_id, source, overlapping, scope, sort, import_id=import_id)
    # The filters' rules are checked (a 4xx) before the first byte; the rows are read afterwards
    # on a connection of their own, since the request's session closes when the handler returns.
    export = service.plan_export(db_session(), caller, filters)
    as_ndjson = flask.request.accept_mimetypes.best_match([CSV, NDJSON]) == NDJSON

    def body() -> Iterator[bytes]:
        if not as_ndjson:
            yield _csv_lines([list(EXPORT_COLUMNS)])  # the first byte, before the query runs
        with tenant_connection(caller.tenant_id) as connection:
            for chunk in service.stream_export(connection, export):
                if as_ndjson:
                    yield b"".join(orjson.dumps(_ndjson_record(row), option=orjson.OPT_UTC_Z) + b"\n" for row in chunk)
                else:
                    yield _csv_lines([_csv_row(row) for row in chunk])

    filename = _export_filename(export.tenant_name, from_, to, "ndjson" if as_ndjson else "csv")
    return flask.Response(
        body(),
        mimetype=NDJSON if as_ndjson else CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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
