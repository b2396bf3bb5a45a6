"""Consumption records: who may see and change which, the period rules, keyset pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.orm import Session

from consumo.accounts.models import Tenant
from consumo.consumptions.models import ConsumptionRecord
from consumo.cursors import decode_cursor, encode_cursor
from consumo.meters import pricing
from consumo.meters import service as meters
from consumo.meters.models import Meter
from consumo.problems import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    UnprocessableContent,
)
from consumo.security.caller import Caller

MAX_PERIOD_DAYS = 366
Sort = Literal["-period_start", "period_start", "-created_at", "created_at"]
Scope = Literal["mine", "tenant"]
_SORT_COLUMNS = {
    "period_start": ConsumptionRecord.period_start,
    "created_at": ConsumptionRecord.created_at,
}


@dataclass(frozen=True)
class RecordFilters:
    kind: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    notes_contain: str | None = None
    meter_id: uuid.UUID | None = None
    scope: Scope = "mine"
    sort: Sort = "-period_start"
    limit: int = 25
    cursor: str | None = None


@dataclass(frozen=True)
class RecordPage:
    items: list[ConsumptionRecord]
    next_cursor: str | None


# --- scoping: the only places that decide which records a caller reaches ----------------

def readable_records(caller: Caller, scope: Scope = "tenant") -> Select[tuple[ConsumptionRecord]]:
    """Records the caller may read: their own, or the tenant's for owners, admins and viewers."""
    statement = select(ConsumptionRecord).where(ConsumptionRecord.tenant_id == caller.tenant_id)
    if scope == "mine" or not caller.can_read_tenant:
        statement = statement.where(ConsumptionRecord.owner_id == caller.user_id)
    return statement


def _writable_record(session: Session, caller: Caller, record_id: uuid.UUID) -> ConsumptionRecord:
    """A record the caller may change (their own, with a writing role), locked for the update.

    Not readable → 404 (no existence leak); readable but not writable → 403."""
    record = session.execute(
        readable_records(caller).where(ConsumptionRecord.id == record_id).with_for_update()
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("No such consumption record.")
    if not caller.can_write or record.owner_id != caller.user_id:
        raise Forbidden("You may read this record but not change it.")
    if record.reading_id is not None:
        raise UnprocessableContent("This record is derived from meter readings; change the readings instead.")
    if record.source == "simulation":
        # Usage charged to a line's balance is its ledger: rewriting it would refund the
        # allowance it used up without refunding, or re-charging, the balance.
        raise UnprocessableContent("Usage charged to a mobile line's balance cannot be changed or deleted.")
    return record


# --- rules ---------------------------------------------------------------------------------

def _check_period(start: date, end: date) -> None:
    if end < start:
        raise UnprocessableContent("The period must not end before it starts.", field="period_end")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise UnprocessableContent(f"A period spans at most {MAX_PERIOD_DAYS} days.",
                                   field="period_end")


def exact_quantity(value: float | int) -> Decimal:
    """A quantity (or meter index) from the contract's JSON number, exact to its 3 decimals."""
    return Decimal(str(value)).quantize(Decimal("0.001"))


def _price_from_meter(session: Session, record: ConsumptionRecord, meter: Meter) -> None:
    """A record on a utility meter follows its tariffs unless it was given a cost of its own
    (a cleared cost follows them again); on a mobile line it never does."""
    if not pricing.follows_tariffs(meter):
        record.cost_from_tariff = False
    elif record.cost_from_tariff or record.cost_minor is None:
        pricing.apply_tariffs(session, record, meter)


# --- cursors -------------------------------------------------------------------------------

def _encode_cursor(sort: Sort, record: ConsumptionRecord) -> str:
    value = getattr(record, sort.lstrip("-"))
    return encode_cursor({"s": sort, "v": value.isoformat(), "id": str(record.id)})


def _decode_cursor(sort: Sort, cursor: str) -> tuple[Any, uuid.UUID]:
    def read(payload: dict[str, Any]) -> tuple[Any, uuid.UUID]:
        if payload.get("s") != sort:
            raise ValueError
        value: Any = (date.fromisoformat(payload["v"]) if sort.lstrip("-") == "period_start"
                      else datetime.fromisoformat(payload["v"]))
        return value, uuid.UUID(payload["id"])

    return decode_cursor(cursor, read,
                         detail="The cursor is not one this list issued (or it was made for another sort).")


# --- operations ----------------------------------------------------------------------------

def list_visible_records(session: Session, caller: Caller, filters: RecordFilters) -> RecordPage:
    if filters.scope == "tenant" and not caller.can_read_tenant:
        raise Forbidden("Only owners, admins and viewers may list the whole tenant.")
    if filters.period_from and filters.period_to and filters.period_from > filters.period_to:
        raise UnprocessableContent("`from` must not be after `to`.", field="from")
    statement = readable_records(caller, filters.scope)
    if filters.kind:
        statement = statement.where(ConsumptionRecord.kind == filters.kind)
    if filters.period_from:
        statement = statement.where(ConsumptionRecord.period_end >= filters.period_from)
    if filters.period_to:
        statement = statement.where(ConsumptionRecord.period_start <= filters.period_to)
    if filters.meter_id:
        meters.check_meter_filter(session, caller, filters.meter_id)
        statement = statement.where(ConsumptionRecord.meter_id == filters.meter_id)
    if filters.notes_contain:
        pattern = filters.notes_contain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(ConsumptionRecord.notes.ilike(f"%{pattern}%", escape="\\"))

    descending = filters.sort.startswith("-")
    column = _SORT_COLUMNS[filters.sort.lstrip("-")]
    key = tuple_(column, ConsumptionRecord.id)
    if filters.cursor:
        value, last_id = _decode_cursor(filters.sort, filters.cursor)
        bound = tuple_(literal(value, column.type), literal(last_id, ConsumptionRecord.id.type))
        statement = statement.where(key < bound if descending else key > bound)
    order = (column.desc(), ConsumptionRecord.id.desc()) if descending else (column.asc(), ConsumptionRecord.id.asc())
    rows = list(session.execute(statement.order_by(*order).limit(filters.limit + 1)).scalars())
    has_more = len(rows) > filters.limit
    items = rows[: filters.limit]
    return RecordPage(items, _encode_cursor(filters.sort, items[-1]) if has_more else None)


def get_visible_record(session: Session, caller: Caller, record_id: uuid.UUID) -> ConsumptionRecord:
    record = session.execute(
        readable_records(caller).where(ConsumptionRecord.id == record_id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("No such consumption record.")
    return record


def create_record(session: Session, caller: Caller, data: dict[str, Any]) -> ConsumptionRecord:
    if not caller.can_write:
        raise Forbidden("Your role may read but not record consumption.")
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    _check_period(start, end)
    currency = data.get("currency") or session.get_one(Tenant, caller.tenant_id).default_currency
    now = datetime.now(UTC)
    record = ConsumptionRecord(
        tenant_id=caller.tenant_id, id=uuid.uuid4(), owner_id=caller.user_id,
        kind=data["kind"], quantity=exact_quantity(data["quantity"]), period_start=start, period_end=end,
        cost_minor=data.get("cost_minor"), currency=currency, notes=data.get("notes"),
        source="manual", cost_from_tariff=False, version=1, created_at=now, updated_at=now,
        created_by=caller.user_id, updated_by=caller.user_id,
    )
    if data.get("meter_id"):
        meter = meters.meter_for_record(session, caller, uuid.UUID(data["meter_id"]), record.kind)
        record.meter_id = meter.id
        _price_from_meter(session, record, meter)
    session.add(record)
    session.flush()
    return record


def update_record(session: Session, caller: Caller, record_id: uuid.UUID, *,
                  precondition: Callable[[int], bool], changes: dict[str, Any]) -> ConsumptionRecord:
    """`precondition(version)` says whether the caller's If-Match holds for the stored version."""
    record = _writable_record(session, caller, record_id)
    if not precondition(record.version):
        raise PreconditionFailed("The record was changed since you read it; read it again.")
    # The meter is checked before the record changes: a query with the record already
    # pointing at a meter that is not the caller's would flush it (a foreign-key error).
    meter_id = record.meter_id
    if "meter_id" in changes:
        meter_id = uuid.UUID(changes["meter_id"]) if changes["meter_id"] else None
    meter = meters.meter_for_record(session, caller, meter_id, changes.get("kind", record.kind)) if meter_id else None
    start = date.fromisoformat(changes["period_start"]) if "period_start" in changes else record.period_start
    end = date.fromisoformat(changes["period_end"]) if "period_end" in changes else record.period_end
    _check_period(start, end)
    record.period_start, record.period_end = start, end
    if "kind" in changes:
        record.kind = changes["kind"]
    if "quantity" in changes:
        record.quantity = exact_quantity(changes["quantity"])
    for field in ("cost_minor", "currency", "notes"):
        if field in changes:
            setattr(record, field, changes[field])
    record.meter_id = meter.id if meter is not None else None
    if "cost_minor" in changes:
        record.cost_from_tariff = False
    if meter is None:
        record.cost_from_tariff = False
    else:
        _price_from_meter(session, record, meter)
    record.version += 1
    record.updated_at = datetime.now(UTC)
    record.updated_by = caller.user_id
    session.flush()
    return record


def delete_record(session: Session, caller: Caller, record_id: uuid.UUID, *,
                  precondition: Callable[[int], bool]) -> None:
    record = _writable_record(session, caller, record_id)
    if not precondition(record.version):
        raise PreconditionFailed("The record was changed since you read it; read it again.")
    session.delete(record)
    session.flush()
