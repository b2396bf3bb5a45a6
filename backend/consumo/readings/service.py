"""Meter readings and the consumption records derived from them.

A reading is a utility meter's cumulative index at the start of a day. Each pair of
consecutive readings A, B (by date) derives one record keyed by B: the days from A's date
to the day before B's, with quantity B − A, priced from the meter's tariffs. A meter
`replacement` restarts the index: B's record then measures the old meter up to its final
index, or does not exist when that final index is unknown.

Records derived from readings change only through their readings: every write here ends
with `sync_derived_records`, which brings the meter's records back in line with its
readings. The meter row is locked (`writable_meter`) for every write, so the readings of a
meter are read and changed one request at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from consumo.api_models import ReadingCreate, ReadingUpdate
from consumo.consumptions.models import ConsumptionRecord
from consumo.consumptions.service import MAX_PERIOD_DAYS, exact_quantity
from consumo.meters import pricing
from consumo.meters.children import on_meter
from consumo.meters.models import Meter
from consumo.meters.service import get_readable_meter, writable_meter
from consumo.paging import Keyset, Page, keyset_page
from consumo.problems import Conflict, NotFound, PreconditionFailed, UnprocessableContent
from consumo.readings.models import MeterReading
from consumo.security.identity import Caller
from consumo.versioning import first_version, touch


@dataclass(frozen=True)
class ReadingView:
    """A reading and the id of the record derived for it (None when it derives none)."""

    reading: MeterReading
    consumption_id: uuid.UUID | None


@dataclass(frozen=True)
class DerivedPeriod:
    """What the record derived for a reading should hold."""

    period_start: date
    period_end: date
    quantity: Decimal


# --- scoping: readings are reached only through a meter the caller reaches ----------------


def _readings_of(meter: Meter) -> Select[tuple[MeterReading]]:
    return select(MeterReading).where(on_meter(MeterReading, meter))


def _reading_of(session: Session, meter: Meter, reading_id: uuid.UUID) -> MeterReading:
    reading = session.execute(_readings_of(meter).where(MeterReading.id == reading_id)).scalar_one_or_none()
    if reading is None:
        raise NotFound("No such reading on this meter.", code="reading.not_found")
    return reading


def _check_takes_readings(meter: Meter) -> None:
    if meter.is_line:
        raise UnprocessableContent(
            "Mobile lines have no index readings; only electricity, water and gas meters do.",
            field="meter_id",
            code="reading.not_on_lines",
        )


# --- rules -------------------------------------------------------------------------------


def _check_reading_alone(caller: Caller, reading: MeterReading) -> None:
    """Rules a reading must meet whatever the meter's other readings are."""
    if reading.reading_date > caller.today():
        raise UnprocessableContent("A reading cannot be dated after today.", field="date", code="reading.in_future")
    if reading.replaced_meter_final_index is not None and not reading.replacement:
        raise UnprocessableContent(
            "Only a meter replacement has a replaced meter's final index.",
            field="replaced_meter_final_index",
            code="reading.final_index_without_replacement",
        )


def _check_date_free(session: Session, meter: Meter, day: date, reading_id: uuid.UUID) -> None:
    """Called before the reading is changed in the session (a flush would hit the unique
    constraint first, as a bare database error)."""
    taken = session.execute(
        _readings_of(meter)
        .where(MeterReading.reading_date == day, MeterReading.id != reading_id)
        .with_only_columns(MeterReading.id)
    ).first()
    if taken is not None:
        raise Conflict(
            "This meter already has a reading on that day; correct that one instead.",
            field="date",
            code="reading.day_taken",
        )


def _derive_pair(earlier: MeterReading, later: MeterReading, changed: MeterReading | None) -> DerivedPeriod | None:
    """The record `later` derives after `earlier`, or None for a replacement whose old
    meter's final index is unknown. Raises 422 when the pair breaks a rule; the error names
    the field of `changed` (the reading being written) that the client can correct."""
    if later.replacement and later.replaced_meter_final_index is None:
        return None
    final_index = later.replaced_meter_final_index if later.replacement else later.index_value
    assert final_index is not None

    def blame(field_of_later: str, field_of_earlier: str) -> str | None:
        return field_of_later if changed is later else field_of_earlier if changed is earlier else None

    if final_index < earlier.index_value:
        if later.replacement:
            raise UnprocessableContent(
                f"The replaced meter's final index ({final_index}) on {later.reading_date} is lower than the "
                f"reading of {earlier.reading_date} ({earlier.index_value}).",
                field=blame("replaced_meter_final_index", "index_value"),
                code="reading.final_index_too_low",
                params={
                    "final_index": str(final_index),
                    "later_date": later.reading_date.isoformat(),
                    "earlier_index": str(earlier.index_value),
                    "earlier_date": earlier.reading_date.isoformat(),
                },
            )
        raise UnprocessableContent(
            f"A meter's index does not go down: {later.index_value} on {later.reading_date} is lower than "
            f"{earlier.index_value} on {earlier.reading_date}. If the meter was replaced, mark the later "
            "reading as a replacement.",
            field=blame("index_value", "index_value"),
            code="reading.index_went_down",
            params={
                "later_index": str(later.index_value),
                "later_date": later.reading_date.isoformat(),
                "earlier_index": str(earlier.index_value),
                "earlier_date": earlier.reading_date.isoformat(),
            },
        )
    if (later.reading_date - earlier.reading_date).days > MAX_PERIOD_DAYS:
        raise UnprocessableContent(
            f"Consecutive readings are at most {MAX_PERIOD_DAYS} days apart (the longest period a record "
            f"spans); {earlier.reading_date} and {later.reading_date} are further apart.",
            field=blame("date", "date"),
            code="reading.too_far_apart",
            params={
                "max_days": MAX_PERIOD_DAYS,
                "earlier_date": earlier.reading_date.isoformat(),
                "later_date": later.reading_date.isoformat(),
            },
        )
    return DerivedPeriod(
        earlier.reading_date, later.reading_date - timedelta(days=1), final_index - earlier.index_value
    )


def derive_periods(
    readings: Sequence[MeterReading], changed: MeterReading | None = None
) -> dict[uuid.UUID, DerivedPeriod]:
    """The records a meter's readings derive, keyed by the later reading's id."""
    ordered = sorted(readings, key=lambda reading: reading.reading_date)
    derived: dict[uuid.UUID, DerivedPeriod] = {}
    for earlier, later in pairwise(ordered):
        period = _derive_pair(earlier, later, changed)
        if period is not None:
            derived[later.id] = period
    return derived


def sync_derived_records(
    session: Session, caller: Caller, meter: Meter, changed: MeterReading | None = None
) -> dict[uuid.UUID, uuid.UUID]:
    """Bring the meter's reading-derived records in line with its readings (as flushed):
    records whose period or quantity moved are updated in place (new version), missing
    ones are added, and those whose reading no longer derives one are deleted, so a
    record untouched by a change keeps its id and version. Raises 422 when the readings
    break a rule (see `_derive_pair`). Returns reading id → derived record id."""
    readings = list(session.execute(_readings_of(meter)).scalars())
    desired = derive_periods(readings, changed)
    existing = {
        derived.reading_id: derived
        for derived in session.execute(
            select(ConsumptionRecord).where(
                on_meter(ConsumptionRecord, meter), ConsumptionRecord.reading_id.is_not(None)
            )
        ).scalars()
    }
    tariffs = pricing.tariffs_of(session, meter)
    now = datetime.now(UTC)
    record_ids: dict[uuid.UUID, uuid.UUID] = {}
    for reading_id, stale in existing.items():
        if reading_id not in desired:
            session.delete(stale)
    session.flush()
    for reading_id, period in desired.items():
        record = existing.get(reading_id)
        if record is None:
            record = ConsumptionRecord(
                tenant_id=meter.tenant_id,
                id=uuid.uuid4(),
                owner_id=meter.owner_id,
                kind=meter.kind,
                quantity=period.quantity,
                period_start=period.period_start,
                period_end=period.period_end,
                cost_minor=None,
                currency=meter.currency,
                notes=None,
                source="reading",
                meter_id=meter.id,
                reading_id=reading_id,
                cost_from_tariff=True,
                **first_version(caller, now),
            )
            pricing.apply_tariffs(session, record, meter, tariffs)
            session.add(record)
        else:
            moved = (record.period_start, record.period_end, record.quantity) != (
                period.period_start,
                period.period_end,
                period.quantity,
            )
            record.period_start, record.period_end = period.period_start, period.period_end
            record.quantity = period.quantity
            if pricing.apply_tariffs(session, record, meter, tariffs) or moved:
                touch(record, caller, now)
        record_ids[reading_id] = record.id
    session.flush()
    return record_ids


# --- cursors -------------------------------------------------------------------------------

# Newest first: a meter has at most one reading a day, so the date alone places a reading in the list.
READINGS_NEWEST_FIRST = Keyset(
    (MeterReading.reading_date,),
    descending=True,
    payload=lambda row: {"d": row[0].reading_date.isoformat()},
    read=lambda payload: (date.fromisoformat(payload["d"]),),
)


# --- operations ----------------------------------------------------------------------------


def list_readings(
    session: Session, caller: Caller, meter_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[ReadingView]:
    meter = get_readable_meter(session, caller, meter_id)
    _check_takes_readings(meter)
    statement = _readings_with_records(meter)
    page = keyset_page(
        session, statement, READINGS_NEWEST_FIRST, limit=limit, cursor=cursor, scalars=False, scope=meter.id
    )
    return Page([ReadingView(reading, consumption_id) for reading, consumption_id in page.items], page.next_cursor)


def get_reading(session: Session, caller: Caller, meter_id: uuid.UUID, reading_id: uuid.UUID) -> ReadingView:
    """One reading of a meter the caller can read (where a new reading's `Location` points)."""
    meter = get_readable_meter(session, caller, meter_id)
    found = session.execute(_readings_with_records(meter).where(MeterReading.id == reading_id)).one_or_none()
    if found is None:
        raise NotFound("No such reading on this meter.", code="reading.not_found")
    return ReadingView(found[0], found[1])


def _readings_with_records(meter: Meter) -> Select[tuple[MeterReading, uuid.UUID]]:
    """The meter's readings, each with the id of the record derived from it (or None)."""
    return (
        select(MeterReading, ConsumptionRecord.id)
        .outerjoin(
            ConsumptionRecord,
            and_(
                ConsumptionRecord.tenant_id == MeterReading.tenant_id, ConsumptionRecord.reading_id == MeterReading.id
            ),
        )
        .where(on_meter(MeterReading, meter))
    )


def create_reading(
    session: Session, caller: Caller, meter_id: uuid.UUID, data: ReadingCreate | Mapping[str, Any]
) -> ReadingView:
    """A reading. `data` is the validated body (a mapping of the contract's JSON is read as one)."""
    if not isinstance(data, ReadingCreate):
        data = ReadingCreate.model_validate(data)
    meter = writable_meter(session, caller, meter_id)
    _check_takes_readings(meter)
    now = datetime.now(UTC)
    final_index = data.replaced_meter_final_index
    reading = MeterReading(
        tenant_id=meter.tenant_id,
        id=uuid.uuid4(),
        meter_id=meter.id,
        reading_date=data.date,
        index_value=exact_quantity(data.index_value),
        replacement=data.replacement,
        replaced_meter_final_index=exact_quantity(final_index) if final_index is not None else None,
        **first_version(caller, now),
    )
    _check_reading_alone(caller, reading)
    _check_date_free(session, meter, reading.reading_date, reading.id)
    session.add(reading)
    session.flush()
    derived = sync_derived_records(session, caller, meter, changed=reading)
    return ReadingView(reading, derived.get(reading.id))


def update_reading(
    session: Session,
    caller: Caller,
    meter_id: uuid.UUID,
    reading_id: uuid.UUID,
    *,
    precondition: Callable[[int], bool],
    changes: ReadingUpdate | Mapping[str, Any],
) -> ReadingView:
    """Correct a reading; the records on both sides of its old and new place follow.
    Turning `replacement` off drops a final index the change does not mention. `changes` holds
    the fields the body sent (`model_fields_set`)."""
    if not isinstance(changes, ReadingUpdate):
        changes = ReadingUpdate.model_validate(changes)
    sent = changes.model_fields_set
    meter = writable_meter(session, caller, meter_id)
    _check_takes_readings(meter)
    reading = _reading_of(session, meter, reading_id)
    if not precondition(reading.version):
        raise PreconditionFailed("The reading was changed since you read it; read it again.", code="version.stale")
    if changes.date is not None:
        _check_date_free(session, meter, changes.date, reading.id)
        reading.reading_date = changes.date
    if changes.index_value is not None:
        reading.index_value = exact_quantity(changes.index_value)
    if changes.replacement is not None:
        reading.replacement = changes.replacement
        if not reading.replacement and "replaced_meter_final_index" not in sent:
            reading.replaced_meter_final_index = None
    if "replaced_meter_final_index" in sent:
        final_index = changes.replaced_meter_final_index
        reading.replaced_meter_final_index = exact_quantity(final_index) if final_index is not None else None
    _check_reading_alone(caller, reading)
    touch(reading, caller)
    session.flush()
    derived = sync_derived_records(session, caller, meter, changed=reading)
    return ReadingView(reading, derived.get(reading.id))


def delete_reading(
    session: Session, caller: Caller, meter_id: uuid.UUID, reading_id: uuid.UUID, *, precondition: Callable[[int], bool]
) -> None:
    """Delete a reading; its neighbours then derive one record over both periods (refused
    with 422 when that pair would break a rule, e.g. a replacement's index drop)."""
    meter = writable_meter(session, caller, meter_id)
    _check_takes_readings(meter)
    reading = _reading_of(session, meter, reading_id)
    if not precondition(reading.version):
        raise PreconditionFailed("The reading was changed since you read it; read it again.", code="version.stale")
    # The record derived for the reading points at it (fk_consumption_reading): it goes first,
    # through the session, so that it is audited and announced (consumption.deleted) as any
    # deleted record is; a bulk DELETE would skip the flush that does both.
    derived = session.execute(
        select(ConsumptionRecord).where(on_meter(ConsumptionRecord, meter), ConsumptionRecord.reading_id == reading.id)
    ).scalar_one_or_none()
    if derived is not None:
        session.delete(derived)
        session.flush()
    session.delete(reading)
    session.flush()
    sync_derived_records(session, caller, meter)
