"""Consumption records: who may see and change which, the period rules, keyset pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Connection, Integer, Row, Select, bindparam, func, literal_column, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from consumo.accounts.models import Tenant
from consumo.api_models import ConsumptionCreate, ConsumptionUpdate
from consumo.consumptions.models import ConsumptionRecord
from consumo.cursors import decode_cursor, encode_cursor
from consumo.meters import pricing
from consumo.meters import service as meters
from consumo.meters.models import Meter
from consumo.paging import Page
from consumo.problems import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    UnprocessableContent,
)
from consumo.security.identity import Caller
from consumo.versioning import first_version, touch

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
    source: str | None = None
    import_id: uuid.UUID | None = None
    overlapping: bool | None = None
    scope: Scope = "mine"
    sort: Sort = "-period_start"
    limit: int = 25
    cursor: str | None = None


# --- overlaps -------------------------------------------------------------------------------
# Two records overlap when they belong to the same owner, are of the same kind, are on the same
# meter (or both on none) and their periods share a day: both count, so together they double the
# figures (a bill and the meter readings of the same months, say). A record's `overlaps` (the
# list's 25 at a time) is counted by the database function consumption_overlaps (migration 0011:
# three short index range scans, whose bounds the planner can use under row-level security).
# Filtering on overlaps is set-based instead (_overlapping_ids).

# How many others `overlaps` counts at most: enough to say "several", cheap for a dense owner.
OVERLAP_COUNT_CAP = 100
NO_METER: ColumnElement[Any] = literal_column("'00000000-0000-0000-0000-000000000000'::uuid")


def _overlap_count() -> Any:
    """How many other records overlap the row's record, counted up to OVERLAP_COUNT_CAP."""
    record = ConsumptionRecord
    return func.consumption_overlaps(
        record.tenant_id,
        record.owner_id,
        record.kind,
        record.meter_id,
        record.id,
        record.period_start,
        record.period_end,
        OVERLAP_COUNT_CAP,
        type_=Integer,
    ).label("overlaps")


# What a reader gets of a record: the columns of the contract's Consumption, read as plain rows
# (no ORM identity map or change tracking on reads, which cost more than the query).
RECORD_VIEW = (
    ConsumptionRecord.id,
    ConsumptionRecord.kind,
    ConsumptionRecord.quantity,
    ConsumptionRecord.period_start,
    ConsumptionRecord.period_end,
    ConsumptionRecord.cost_minor,
    ConsumptionRecord.currency,
    ConsumptionRecord.notes,
    ConsumptionRecord.source,
    ConsumptionRecord.meter_id,
    ConsumptionRecord.cost_from_tariff,
    ConsumptionRecord.import_id,
    ConsumptionRecord.owner_id,
    ConsumptionRecord.version,
    ConsumptionRecord.created_at,
    ConsumptionRecord.updated_at,
    _overlap_count(),
)


# --- scoping: the only places that decide which records a caller reaches ----------------


def _visible_to(whole_tenant: bool, columns: tuple[Any, ...]) -> Select[Any]:
    """Records of the tenant `:scope_tenant_id` (and of the owner `:scope_owner_id` unless
    `whole_tenant`), as a statement that can be built once and bound per caller."""
    statement = select(*columns).where(ConsumptionRecord.tenant_id == bindparam("scope_tenant_id"))
    if not whole_tenant:
        statement = statement.where(ConsumptionRecord.owner_id == bindparam("scope_owner_id"))
    return statement


def _visibility(caller: Caller, scope: Scope) -> tuple[bool, dict[str, uuid.UUID]]:
    """Whether the caller reaches the whole tenant in `scope`, and the values of the scope's binds."""
    whole_tenant = scope == "tenant" and caller.can_read_tenant
    return whole_tenant, {"scope_tenant_id": caller.tenant_id, "scope_owner_id": caller.user_id}


def readable_records(
    caller: Caller, scope: Scope = "tenant", columns: tuple[Any, ...] = (ConsumptionRecord,)
) -> Select[Any]:
    """Records the caller may read: their own, or the tenant's for owners, admins and viewers
    (as ORM objects, or as rows of `columns`)."""
    whole_tenant, binds = _visibility(caller, scope)
    return _visible_to(whole_tenant, columns).params(binds)


def _writable_record(session: Session, caller: Caller, record_id: uuid.UUID) -> ConsumptionRecord:
    """A record the caller may change (their own, with a writing role), locked for the update.

    Not readable → 404 (no existence leak); readable but not writable → 403."""
    record: ConsumptionRecord | None = session.execute(
        readable_records(caller).where(ConsumptionRecord.id == record_id).with_for_update()
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("No such consumption record.", code="record.not_found")
    if not caller.can_write or record.owner_id != caller.user_id:
        raise Forbidden("You may read this record but not change it.", code="record.read_only")
    if record.reading_id is not None:
        raise UnprocessableContent(
            "This record is derived from meter readings; change the readings instead.",
            code="record.derived_from_readings",
        )
    if record.source == "simulation":
        # Usage charged to a line's balance is its ledger: rewriting it would refund the
        # allowance it used up without refunding, or re-charging, the balance.
        raise UnprocessableContent(
            "Usage charged to a mobile line's balance cannot be changed or deleted.", code="record.charged_usage"
        )
    return record


# --- rules ---------------------------------------------------------------------------------


def check_period(start: date, end: date) -> None:
    if end < start:
        raise UnprocessableContent(
            "The period must not end before it starts.", field="period_end", code="period.end_before_start"
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise UnprocessableContent(
            f"A period spans at most {MAX_PERIOD_DAYS} days.",
            field="period_end",
            code="period.too_long",
            params={"max_days": MAX_PERIOD_DAYS},
        )


def exact_quantity(value: Decimal | float | int) -> Decimal:
    """A quantity (or meter index), exact to the contract's 3 decimals."""
    return Decimal(str(value)).quantize(Decimal("0.001"))


def _price_from_meter(
    session: Session, record: ConsumptionRecord, meter: Meter, tariffs: list[Any] | None = None
) -> None:
    """A record on a utility meter follows its tariffs unless it was given a cost of its own
    (a cleared cost follows them again); on a mobile line it never does."""
    if not pricing.follows_tariffs(meter):
        record.cost_from_tariff = False
    elif record.cost_from_tariff or record.cost_minor is None:
        pricing.apply_tariffs(session, record, meter, tariffs)


# --- cursors -------------------------------------------------------------------------------


def _encode_cursor(sort: Sort, record: Row[Any]) -> str:
    value = getattr(record, sort.lstrip("-"))
    return encode_cursor({"s": sort, "v": value.isoformat(), "id": str(record.id)})


def _decode_cursor(sort: Sort, cursor: str) -> tuple[Any, uuid.UUID]:
    def read(payload: dict[str, Any]) -> tuple[Any, uuid.UUID]:
        if payload.get("s") != sort:
            raise ValueError
        value: Any = (
            date.fromisoformat(payload["v"])
            if sort.lstrip("-") == "period_start"
            else datetime.fromisoformat(payload["v"])
        )
        return value, uuid.UUID(payload["id"])

    return decode_cursor(
        cursor, read, detail="The cursor is not one this list issued (or it was made for another sort)."
    )


# --- operations ----------------------------------------------------------------------------


def _checked_filters(session: Session, caller: Caller, filters: RecordFilters) -> tuple[bool, dict[str, Any]]:
    """The filters' rules (422/403), then whether the caller reaches the whole tenant and the
    statement's bound values."""
    if filters.scope == "tenant" and not caller.can_read_tenant:
        raise Forbidden("Only owners, admins and viewers may list the whole tenant.", code="scope.tenant_forbidden")
    if filters.period_from and filters.period_to and filters.period_from > filters.period_to:
        raise UnprocessableContent("`from` must not be after `to`.", field="from", code="range.from_after_to")
    if filters.meter_id:
        meters.check_meter_filter(session, caller, filters.meter_id)
    whole_tenant, binds = _visibility(caller, filters.scope)
    values: dict[str, Any] = {
        **binds,
        "kind": filters.kind,
        "period_from": filters.period_from,
        "period_to": filters.period_to,
        "meter_id": filters.meter_id,
        "source": filters.source,
        "import_id": filters.import_id,
    }
    reach = timedelta(days=MAX_PERIOD_DAYS)
    if filters.period_from:
        values["near_from"] = filters.period_from - reach
    if filters.period_to:
        values["near_to"] = filters.period_to + reach
    if filters.notes_contain:
        escaped = filters.notes_contain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values["notes_pattern"] = f"%{escaped}%"
    return whole_tenant, values


@dataclass(frozen=True)
class _FilterShape:
    """Which of the list's filters are set (their values are bound parameters): one statement is
    built, and cached, per shape."""

    whole_tenant: bool
    kind: bool
    period_from: bool
    period_to: bool
    meter: bool
    notes: bool
    source: bool
    import_: bool
    overlapping: bool | None

    @classmethod
    def of(cls, whole_tenant: bool, filters: RecordFilters) -> _FilterShape:
        return cls(
            whole_tenant,
            bool(filters.kind),
            bool(filters.period_from),
            bool(filters.period_to),
            bool(filters.meter_id),
            bool(filters.notes_contain),
            bool(filters.source),
            bool(filters.import_id),
            filters.overlapping,
        )


def _filtered(shape: _FilterShape, columns: tuple[Any, ...]) -> Select[Any]:
    """The records the list's filters select, as rows of `columns`: the one place that turns
    the filters into SQL, for the list, the export and the summary alike."""
    statement = _visible_to(shape.whole_tenant, columns)
    if shape.kind:
        statement = statement.where(ConsumptionRecord.kind == bindparam("kind"))
    if shape.period_from:
        statement = statement.where(ConsumptionRecord.period_end >= bindparam("period_from"))
    if shape.period_to:
        statement = statement.where(ConsumptionRecord.period_start <= bindparam("period_to"))
    if shape.meter:
        statement = statement.where(ConsumptionRecord.meter_id == bindparam("meter_id"))
    if shape.notes:
        statement = statement.where(ConsumptionRecord.notes.ilike(bindparam("notes_pattern"), escape="\\"))
    if shape.source:
        statement = statement.where(ConsumptionRecord.source == bindparam("source"))
    if shape.import_:
        statement = statement.where(ConsumptionRecord.import_id == bindparam("import_id"))
    if shape.overlapping is not None:
        overlapping = ConsumptionRecord.id.in_(_overlapping_ids(shape))
        statement = statement.where(overlapping if shape.overlapping else ~overlapping)
    return statement


def _overlapping_ids(shape: _FilterShape) -> Select[Any]:
    """The ids of the records (in the filters' scope, kind, meter and, with `from`/`to`, near
    their range) that overlap another, set-based: one pass in each group's order of start. A
    record overlaps an earlier one when the latest end before it reaches its start, a later one
    when the next start is within it. Records within MAX_PERIOD_DAYS of the range are read too:
    they are the only ones that can overlap the range's. (Per-record probes would read about a
    month of records each: under row-level security the planner cannot bound an index scan by
    `start - n` days, date arithmetic not being leakproof.)"""
    record = ConsumptionRecord
    group: tuple[Any, ...] = (record.owner_id, record.kind, func.coalesce(record.meter_id, NO_METER))
    order: tuple[Any, ...] = (record.period_start, record.id)
    candidates = _visible_to(
        shape.whole_tenant,
        (
            record.id,
            record.period_start,
            record.period_end,
            func.max(record.period_end).over(partition_by=group, order_by=order, rows=(None, -1)).label("earlier_end"),
            func.lead(record.period_start).over(partition_by=group, order_by=order).label("next_start"),
        ),
    )
    if shape.kind:
        candidates = candidates.where(record.kind == bindparam("kind"))
    if shape.meter:
        candidates = candidates.where(record.meter_id == bindparam("meter_id"))
    if shape.period_from:
        candidates = candidates.where(record.period_end >= bindparam("near_from"))
    if shape.period_to:
        candidates = candidates.where(record.period_start <= bindparam("near_to"))
    near = candidates.subquery("near")
    return select(near.c.id).where(
        or_(near.c.earlier_end >= near.c.period_start, near.c.next_start <= near.c.period_end)
    )


def _filtered_statement(
    whole_tenant: bool, filters: RecordFilters, after: bool, *, export: bool = False
) -> Select[Any]:
    return _page_statement(_FilterShape.of(whole_tenant, filters), filters.sort, after, export=export)


def list_visible_records(session: Session, caller: Caller, filters: RecordFilters) -> Page[Row[Any]]:
    whole_tenant, values = _checked_filters(session, caller, filters)
    values["limit"] = filters.limit + 1
    if filters.cursor:
        values["after_value"], values["after_id"] = _decode_cursor(filters.sort, filters.cursor)
    statement = _filtered_statement(whole_tenant, filters, bool(filters.cursor))
    # Plain rows through the session's connection: the ORM's execution layer adds nothing to a read.
    rows = session.connection().execute(statement, values).all()
    has_more = len(rows) > filters.limit
    items = rows[: filters.limit]
    return Page(list(items), _encode_cursor(filters.sort, items[-1]) if has_more else None)


# What an export streams of each record: a reader's view but `overlaps`, which reads other
# records for each row (an export of a dense owner's history would pay that 50,000 times; the
# `overlapping` filter still selects by it, set-based).
EXPORT_VIEW = tuple(column for column in RECORD_VIEW if column.key != "overlaps")


@dataclass(frozen=True)
class Export:
    """What an export streams: the list's statement without a page limit, and its values."""

    statement: Select[Any]
    values: dict[str, Any]
    tenant_name: str


def plan_export(session: Session, caller: Caller, filters: RecordFilters) -> Export:
    """Every record the filters select, in the list's order (its rules checked now, before a
    byte is sent). `limit` NULL is no limit."""
    whole_tenant, values = _checked_filters(session, caller, filters)
    values["limit"] = None
    tenant_name = session.execute(select(Tenant.name).where(Tenant.id == caller.tenant_id)).scalar_one()
    return Export(_filtered_statement(whole_tenant, filters, False, export=True), values, tenant_name)


def stream_export(connection: Connection, export: Export, chunk_rows: int = 2000) -> Iterator[Sequence[Row[Any]]]:
    """The export's rows in chunks, from a server-side cursor: memory stays constant whatever
    the number of records. `connection` is in a transaction scoped to the caller's tenant."""
    result = connection.execution_options(stream_results=True, yield_per=chunk_rows).execute(
        export.statement, export.values
    )
    yield from result.partitions(chunk_rows)


@lru_cache(maxsize=512)
def _page_statement(shape: _FilterShape, sort: Sort, after: bool, *, export: bool = False) -> Select[Any]:
    """A list page's statement for one shape of filters, built (and its cache key computed)
    once; every value is a bound parameter. `export`: the export's columns (EXPORT_VIEW)."""
    statement = _filtered(shape, EXPORT_VIEW if export else RECORD_VIEW)
    descending = sort.startswith("-")
    column = _SORT_COLUMNS[sort.lstrip("-")]
    if after:
        key = tuple_(column, ConsumptionRecord.id)
        bound = tuple_(
            bindparam("after_value", type_=column.type), bindparam("after_id", type_=ConsumptionRecord.id.type)
        )
        statement = statement.where(key < bound if descending else key > bound)
    order = (column.desc(), ConsumptionRecord.id.desc()) if descending else (column.asc(), ConsumptionRecord.id.asc())
    return statement.order_by(*order).limit(bindparam("limit"))


@dataclass(frozen=True)
class RecordsSummary:
    """What the records a list's filters select add up to: how many, each kind's quantity (in
    its unit) and the cost per currency, and how many have no cost."""

    records: int
    quantities: dict[str, Decimal]
    costs: dict[str, int]
    uncosted_records: int


@lru_cache(maxsize=256)
def _summary_statement(shape: _FilterShape) -> Select[Any]:
    selected = _filtered(
        shape,
        (
            ConsumptionRecord.kind,
            ConsumptionRecord.currency,
            func.count().label("records"),
            func.sum(ConsumptionRecord.quantity).label("quantity"),
            func.sum(ConsumptionRecord.cost_minor).label("cost_minor"),
            func.count(ConsumptionRecord.cost_minor).label("costed"),
        ),
    )
    return selected.group_by(ConsumptionRecord.kind, ConsumptionRecord.currency)


def summarize_records(session: Session, caller: Caller, filters: RecordFilters) -> RecordsSummary:
    """The totals of every record `filters` select (the list's filters, checked by its rules;
    sort and pages do not apply), in one grouped aggregate."""
    whole_tenant, values = _checked_filters(session, caller, filters)
    rows = session.connection().execute(_summary_statement(_FilterShape.of(whole_tenant, filters)), values).all()
    quantities: dict[str, Decimal] = {}
    costs: dict[str, int] = {}
    records = uncosted = 0
    for row in rows:
        records += row.records
        uncosted += row.records - row.costed
        quantities[row.kind] = quantities.get(row.kind, Decimal(0)) + row.quantity
        if row.cost_minor is not None:
            costs[row.currency] = costs.get(row.currency, 0) + int(row.cost_minor)
    return RecordsSummary(records, quantities, costs, uncosted)


def record_view(session: Session, caller: Caller, record: ConsumptionRecord) -> Row[Any]:
    """A record the caller just wrote (flushed), read back as a RECORD_VIEW row: as a reader sees
    it, with how many records it overlaps."""
    return session.execute(
        readable_records(caller, "mine", columns=RECORD_VIEW).where(ConsumptionRecord.id == record.id)
    ).one()


def get_visible_record(session: Session, caller: Caller, record_id: uuid.UUID) -> Row[Any]:
    """The record as a RECORD_VIEW row."""
    record = session.execute(
        readable_records(caller, columns=RECORD_VIEW).where(ConsumptionRecord.id == record_id)
    ).one_or_none()
    if record is None:
        raise NotFound("No such consumption record.", code="record.not_found")
    return record


class MeterLookup:
    """The meters (and their tariffs) that new records name, each read once per request."""

    def __init__(self, session: Session, caller: Caller) -> None:
        self.session, self.caller = session, caller
        self._meters: dict[tuple[uuid.UUID, str], Meter] = {}
        self._tariffs: dict[uuid.UUID, list[Any]] = {}

    def meter_for(self, meter_id: uuid.UUID, kind: str) -> Meter:
        key = (meter_id, kind)
        if key not in self._meters:
            self._meters[key] = meters.meter_for_record(self.session, self.caller, meter_id, kind)
        return self._meters[key]

    def tariffs_of(self, meter: Meter) -> list[Any]:
        if meter.id not in self._tariffs:
            self._tariffs[meter.id] = pricing.tariffs_of(self.session, meter)
        return self._tariffs[meter.id]


def new_record(
    caller: Caller, data: ConsumptionCreate, lookup: MeterLookup, *, now: datetime, source: str = "manual"
) -> ConsumptionRecord:
    """A record made from a create's fields under every rule of a create (period, meter of a
    compatible kind among the caller's, tariff pricing), not yet added to the session. A broken
    rule is an UnprocessableContent naming its field."""
    check_period(data.period_start, data.period_end)
    record = ConsumptionRecord(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        owner_id=caller.user_id,
        kind=data.kind,
        quantity=exact_quantity(data.quantity),
        period_start=data.period_start,
        period_end=data.period_end,
        cost_minor=data.cost_minor,
        currency=data.currency or caller.default_currency,
        notes=data.notes,
        source=source,
        cost_from_tariff=False,
        **first_version(caller, now),
    )
    if data.meter_id:
        meter = lookup.meter_for(data.meter_id, record.kind)
        record.meter_id = meter.id
        tariffs = lookup.tariffs_of(meter) if pricing.follows_tariffs(meter) else []
        _price_from_meter(lookup.session, record, meter, tariffs)
    return record


def create_record(session: Session, caller: Caller, data: ConsumptionCreate | Mapping[str, Any]) -> ConsumptionRecord:
    """A manual record. `data` is the validated body (a mapping of the contract's JSON is read as one)."""
    if not isinstance(data, ConsumptionCreate):
        data = ConsumptionCreate.model_validate(data)
    if not caller.can_write:
        raise Forbidden("Your role may read but not record consumption.", code="role.read_only")
    record = new_record(caller, data, MeterLookup(session, caller), now=datetime.now(UTC))
    session.add(record)
    session.flush()
    return record


MAX_BATCH_ITEMS = 1000


def create_records(
    session: Session, caller: Caller, items: Sequence[ConsumptionCreate | Mapping[str, Any]]
) -> list[ConsumptionRecord]:
    """All the records or none: each item is checked like a single create; when any breaks a
    rule, every broken one is reported (`items[<index>].<field>`) and nothing is written."""
    if not caller.can_write:
        raise Forbidden("Your role may read but not record consumption.", code="role.read_only")
    lookup, now = MeterLookup(session, caller), datetime.now(UTC)
    records: list[ConsumptionRecord] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        data = item if isinstance(item, ConsumptionCreate) else ConsumptionCreate.model_validate(item)
        try:
            records.append(new_record(caller, data, lookup, now=now))
        except UnprocessableContent as problem:
            for error in problem.errors or [
                {"field": "", "message": problem.detail or "Invalid.", "code": problem.code}
            ]:
                field = f"items[{index}].{error['field']}" if error["field"] else f"items[{index}]"
                errors.append({**error, "field": field})
    if errors:
        broken = len({error["field"].split("]", 1)[0] for error in errors})
        raise UnprocessableContent(
            f"{broken} of the {len(items)} items break a rule; nothing was recorded.",
            code="batch.items_invalid",
            errors=errors,
            max_errors=MAX_BATCH_ITEMS,
        )
    # Through the unit of work, so the audit trail and the webhook outbox see every record; the
    # ORM sends them as multi-row INSERTs (insertmanyvalues), and the roll-up trigger runs once
    # per statement, set-based.
    session.add_all(records)
    session.flush()
    return records


def update_record(
    session: Session,
    caller: Caller,
    record_id: uuid.UUID,
    *,
    precondition: Callable[[int], bool],
    changes: ConsumptionUpdate | Mapping[str, Any],
) -> ConsumptionRecord:
    """`precondition(version)` says whether the caller's If-Match holds for the stored version;
    `changes` holds the fields the body sent (`model_fields_set`), a null among them clearing one."""
    if not isinstance(changes, ConsumptionUpdate):
        changes = ConsumptionUpdate.model_validate(changes)
    sent = changes.model_fields_set
    record = _writable_record(session, caller, record_id)
    if not precondition(record.version):
        raise PreconditionFailed("The record was changed since you read it; read it again.", code="version.stale")
    # The meter is checked before the record changes: a query with the record already
    # pointing at a meter that is not the caller's would flush it (a foreign-key error).
    # The contract makes kind, quantity and the period non-nullable: sent, they hold a value.
    meter_id = changes.meter_id if "meter_id" in sent else record.meter_id
    kind = changes.kind or record.kind
    meter = meters.meter_for_record(session, caller, meter_id, kind) if meter_id else None
    start = changes.period_start or record.period_start
    end = changes.period_end or record.period_end
    check_period(start, end)
    record.period_start, record.period_end, record.kind = start, end, kind
    if changes.quantity is not None:
        record.quantity = exact_quantity(changes.quantity)
    if "cost_minor" in sent:
        record.cost_minor = changes.cost_minor
    if changes.currency is not None:
        record.currency = changes.currency
    if "notes" in sent:
        record.notes = changes.notes
    record.meter_id = meter.id if meter is not None else None
    if "cost_minor" in sent:
        record.cost_from_tariff = False
    if meter is None:
        record.cost_from_tariff = False
    else:
        _price_from_meter(session, record, meter)
    touch(record, caller)
    session.flush()
    return record


def delete_record(
    session: Session, caller: Caller, record_id: uuid.UUID, *, precondition: Callable[[int], bool]
) -> None:
    record = _writable_record(session, caller, record_id)
    if not precondition(record.version):
        raise PreconditionFailed("The record was changed since you read it; read it again.", code="version.stale")
    session.delete(record)
    session.flush()
