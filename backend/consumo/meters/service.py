"""Meters and mobile lines: who may see and change which, identifiers, plans, tariffs.

Meters follow the records' visibility rules: a member reaches their own meters; owners,
admins and viewers may read the whole tenant's; only a meter's owner (with a writing role)
changes it or anything under it (tariffs, readings, top-ups, usage).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import phonenumbers
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from consumo.api_models import MeterCreate, MeterUpdate, MobilePlan, TariffCreate
from consumo.consumptions.models import ConsumptionRecord
from consumo.db import flush_unique
from consumo.meters import pricing
from consumo.meters.children import on_meter
from consumo.meters.models import RECORD_KINDS_BY_METER_KIND, Meter, MeterTariff
from consumo.paging import Keyset, Page, by_text_and_id, keyset_page
from consumo.problems import Conflict, FieldError, Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from consumo.readings.models import MeterReading
from consumo.security.identity import Caller
from consumo.text import visible_name
from consumo.versioning import first_version, touch
from consumo.webhooks import events

Scope = Literal["mine", "tenant"]
MAX_TARIFFS = 500
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
PLAN_COLUMNS = {
    "data_mb": "plan_data_mb",
    "voice_minutes": "plan_voice_minutes",
    "sms": "plan_sms",
    "cycle_start_day": "plan_cycle_start_day",
    "data_mb_price_minor": "plan_data_mb_price_minor",
    "voice_minute_price_minor": "plan_voice_minute_price_minor",
    "sms_price_minor": "plan_sms_price_minor",
}


# --- scoping: the only places that decide which meters a caller reaches -----------------


def readable_meters(caller: Caller, scope: Scope = "tenant") -> Select[tuple[Meter]]:
    """Meters the caller may read: their own, or the tenant's for owners, admins and viewers."""
    statement = select(Meter).where(Meter.tenant_id == caller.tenant_id)
    if scope == "mine" or not caller.can_read_tenant:
        statement = statement.where(Meter.owner_id == caller.user_id)
    return statement


def get_readable_meter(session: Session, caller: Caller, meter_id: uuid.UUID) -> Meter:
    meter = session.execute(readable_meters(caller).where(Meter.id == meter_id)).scalar_one_or_none()
    if meter is None:
        raise NotFound("No such meter.", code="meter.not_found")
    return meter


def writable_meter(session: Session, caller: Caller, meter_id: uuid.UUID) -> Meter:
    """A meter the caller may change (their own, with a writing role), locked until the
    transaction ends, so changes under one meter (balance, readings, tariffs) are serialized.

    Not readable → 404 (no existence leak); readable but not writable → 403."""
    meter = session.execute(readable_meters(caller).where(Meter.id == meter_id).with_for_update()).scalar_one_or_none()
    if meter is None:
        raise NotFound("No such meter.", code="meter.not_found")
    if not caller.can_write or meter.owner_id != caller.user_id:
        raise Forbidden("You may read this meter but not change it.", code="meter.read_only")
    return meter


def meter_for_record(session: Session, caller: Caller, meter_id: uuid.UUID, kind: str) -> Meter:
    """The meter a record of `kind` by the caller is attached to: one of the caller's own
    meters, of a kind that holds such records. Anything else is a 422 on `meter_id`."""
    meter = session.execute(readable_meters(caller, "mine").where(Meter.id == meter_id)).scalar_one_or_none()
    if meter is None:
        raise UnprocessableContent("No such meter among yours.", field="meter_id", code="meter.unknown")
    if kind not in RECORD_KINDS_BY_METER_KIND[meter.kind]:
        allowed = ", ".join(RECORD_KINDS_BY_METER_KIND[meter.kind])
        raise UnprocessableContent(
            f"A {meter.kind} meter holds only {allowed} records.",
            field="meter_id",
            code="meter.kind_mismatch",
            params={"meter_kind": meter.kind, "record_kind": kind},
        )
    return meter


def check_meter_filter(session: Session, caller: Caller, meter_id: uuid.UUID) -> Meter:
    """A `meter_id` filter must name a meter the caller can read (422 otherwise); returns it."""
    found = session.execute(readable_meters(caller).where(Meter.id == meter_id)).scalar_one_or_none()
    if found is None:
        raise UnprocessableContent("No such meter.", field="meter_id", code="meter.unknown")
    return found


# --- rules -------------------------------------------------------------------------------


def normalize_identifier(kind: str, identifier: str, field: str = "identifier") -> str:
    """A mobile line's number must be E.164 with a known country code and a possible
    length for it; other meters keep their serial as typed."""
    if kind != "mobile_line":
        return identifier
    if not E164.match(identifier):
        raise UnprocessableContent(
            "A mobile line's identifier is its number in E.164, e.g. +56912345678.",
            field=field,
            code="identifier.not_e164",
        )
    try:
        number = phonenumbers.parse(identifier)
    except phonenumbers.NumberParseException:
        raise UnprocessableContent(
            "This is not a number in any country's numbering plan.", field=field, code="identifier.no_such_number"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise UnprocessableContent(
            "This number has the wrong length for its country.", field=field, code="identifier.wrong_length"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identifier_query(raw: str) -> str:
    """`?identifier=+569…` sent without encoding the `+` arrives as a space."""
    stripped = raw.strip()
    if raw.startswith(" ") and stripped.isdigit():
        return "+" + stripped
    return raw


def _apply_plan(meter: Meter, plan: MobilePlan) -> None:
    for field, column in PLAN_COLUMNS.items():
        setattr(meter, column, getattr(plan, field))


def plan_of(meter: Meter) -> dict[str, int] | None:
    if not meter.is_line:
        return None
    return {field: getattr(meter, column) for field, column in PLAN_COLUMNS.items()}


_IDENTIFIER_TAKEN: dict[str, FieldError] = {
    "uq_meters_identifier": {
        "field": "identifier",
        "message": "You already have a meter of this kind with this identifier in your organisation.",
        "code": "identifier.taken",
    }
}


# --- cursors -------------------------------------------------------------------------------


# Meters by name (then id: names repeat); tariffs newest first (at most one a day per meter).
METERS_BY_NAME = by_text_and_id(Meter.name, Meter.id)
TARIFFS_NEWEST_FIRST = Keyset(
    (MeterTariff.valid_from,),
    descending=True,
    payload=lambda tariff: {"d": tariff.valid_from.isoformat()},
    read=lambda payload: (date.fromisoformat(payload["d"]),),
)


# --- operations ----------------------------------------------------------------------------


def list_visible_meters(
    session: Session,
    caller: Caller,
    *,
    kind: str | None,
    identifier: str | None,
    scope: Scope,
    limit: int,
    cursor: str | None,
) -> Page[Meter]:
    if scope == "tenant" and not caller.can_read_tenant:
        raise Forbidden("Only owners, admins and viewers may list the whole tenant.", code="scope.tenant_forbidden")
    statement = readable_meters(caller, scope)
    if kind:
        statement = statement.where(Meter.kind == kind)
    if identifier:
        statement = statement.where(Meter.identifier == identifier_query(identifier))
    return keyset_page(session, statement, METERS_BY_NAME, limit=limit, cursor=cursor)


def create_meter(session: Session, caller: Caller, data: MeterCreate | Mapping[str, Any]) -> Meter:
    """A meter or mobile line. `data` is the validated body (a mapping of the contract's JSON is read as one)."""
    if not isinstance(data, MeterCreate):
        data = MeterCreate.model_validate(data)
    if not caller.can_write:
        raise Forbidden("Your role may read but not add meters.", code="role.read_only")
    # The contract's oneOf on `kind`: a utility meter has no plan, a mobile line must have one.
    body = data.root
    kind, plan = body.kind, getattr(body, "plan", None)
    if kind == "mobile_line" and plan is None:
        raise UnprocessableContent("A mobile line needs a plan.", field="plan", code="plan.required")
    if kind != "mobile_line" and plan is not None:
        raise UnprocessableContent("Only mobile lines have a plan.", field="plan", code="plan.not_allowed")
    threshold = getattr(body, "low_balance_minor", None)
    now = datetime.now(UTC)
    meter = Meter(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        owner_id=caller.user_id,
        kind=kind,
        name=visible_name(body.name, field="name"),
        identifier=normalize_identifier(kind, body.identifier),
        currency=body.currency or caller.default_currency,
        monthly_budget_minor=body.monthly_budget_minor,
        balance_minor=0 if kind == "mobile_line" else None,
        low_balance_minor=threshold,
        **first_version(caller, now),
    )
    if plan is not None:
        _apply_plan(meter, plan)
    session.add(meter)
    flush_unique(session, _IDENTIFIER_TAKEN)
    return meter


def update_meter(
    session: Session,
    caller: Caller,
    meter_id: uuid.UUID,
    *,
    precondition: Callable[[int], bool],
    changes: MeterUpdate | Mapping[str, Any],
) -> Meter:
    """`changes` holds the fields the body sent (`model_fields_set`), a null among them clearing one."""
    if not isinstance(changes, MeterUpdate):
        changes = MeterUpdate.model_validate(changes)
    sent = changes.model_fields_set
    meter = writable_meter(session, caller, meter_id)
    if not precondition(meter.version):
        raise PreconditionFailed("The meter was changed since you read it; read it again.", code="version.stale")
    if "plan" in sent:
        if changes.plan is None and meter.is_line:
            raise UnprocessableContent("A mobile line needs a plan.", field="plan", code="plan.required")
        if changes.plan is not None and not meter.is_line:
            raise UnprocessableContent("Only mobile lines have a plan.", field="plan", code="plan.not_allowed")
        if changes.plan is not None:
            _apply_plan(meter, changes.plan)
    if changes.name is not None:
        meter.name = visible_name(changes.name, field="name")
    if changes.identifier is not None:
        meter.identifier = normalize_identifier(meter.kind, changes.identifier)
    if "monthly_budget_minor" in sent:
        meter.monthly_budget_minor = changes.monthly_budget_minor
    if "low_balance_minor" in sent:
        if changes.low_balance_minor is not None and not meter.is_line:
            raise UnprocessableContent(
                "Only mobile lines have a low-balance threshold.",
                field="low_balance_minor",
                code="low_balance.not_allowed",
            )
        meter.low_balance_minor = changes.low_balance_minor
    touch(meter, caller)
    flush_unique(session, _IDENTIFIER_TAKEN)
    return meter


# A deleted meter's records are announced one by one (`consumption.updated`, now without a meter)
# up to this many; a larger meter's `meter.deleted` says how many records it detached and the
# receiver detaches them itself (every record of that meter: its `meter_id` is null, its version + 1).
ANNOUNCED_DETACHED_RECORDS = 1000


def delete_meter(session: Session, caller: Caller, meter_id: uuid.UUID, *, precondition: Callable[[int], bool]) -> None:
    """The meter's tariffs, readings and top-ups go with it; its records stay, detached (a new
    version each), with the cost they had (no longer following tariffs that are gone)."""
    meter = writable_meter(session, caller, meter_id)
    if not precondition(meter.version):
        raise PreconditionFailed("The meter was changed since you read it; read it again.", code="version.stale")
    attached = on_meter(ConsumptionRecord, meter)
    count = session.execute(select(func.count()).select_from(ConsumptionRecord).where(attached)).scalar_one()
    detach = (
        update(ConsumptionRecord)
        .where(attached)
        .values(
            meter_id=None,
            reading_id=None,
            cost_from_tariff=False,
            version=ConsumptionRecord.version + 1,
            updated_at=datetime.now(UTC),
            updated_by=caller.user_id,
        )
        .execution_options(synchronize_session=False)
    )
    if count <= ANNOUNCED_DETACHED_RECORDS:
        detached = session.execute(detach.returning(*DETACHED_RECORD_FIELDS)).all()
        events.publish(
            session,
            meter.tenant_id,
            [("consumption.updated", events.jsonable_row(row._asdict())) for row in detached],
        )
    else:
        session.execute(detach)
    events.note_detached_records(session, meter, count)
    session.execute(delete(MeterReading).where(on_meter(MeterReading, meter)))
    session.delete(meter)
    session.flush()
    session.expire_all()


DETACHED_RECORD_FIELDS = tuple(getattr(ConsumptionRecord, name) for name in events.CONSUMPTION_EVENT_FIELDS)


# --- tariffs -------------------------------------------------------------------------------


def list_tariffs(
    session: Session, caller: Caller, meter_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[Meter, Page[MeterTariff]]:
    """Newest first; a meter has at most one tariff per day, so the day is the page key."""
    meter = get_readable_meter(session, caller, meter_id)
    statement = select(MeterTariff).where(on_meter(MeterTariff, meter))
    return meter, keyset_page(session, statement, TARIFFS_NEWEST_FIRST, limit=limit, cursor=cursor, scope=meter.id)


def get_tariff(
    session: Session, caller: Caller, meter_id: uuid.UUID, tariff_id: uuid.UUID
) -> tuple[Meter, MeterTariff]:
    """One tariff of a meter the caller can read (where a new tariff's `Location` points)."""
    meter = get_readable_meter(session, caller, meter_id)
    tariff = session.execute(
        select(MeterTariff).where(on_meter(MeterTariff, meter), MeterTariff.id == tariff_id)
    ).scalar_one_or_none()
    if tariff is None:
        raise NotFound("No such tariff on this meter.", code="tariff.not_found")
    return meter, tariff


def create_tariff(
    session: Session, caller: Caller, meter_id: uuid.UUID, data: TariffCreate | Mapping[str, Any]
) -> tuple[Meter, MeterTariff]:
    """A tariff from a day on. `data` is the validated body (a mapping of the contract's JSON is read as one)."""
    if not isinstance(data, TariffCreate):
        data = TariffCreate.model_validate(data)
    meter = writable_meter(session, caller, meter_id)
    if meter.is_line:
        raise UnprocessableContent(
            "Mobile lines are priced by their plan, not by tariffs.", field="meter_id", code="tariff.line_has_plan"
        )
    existing = pricing.tariffs_of(session, meter)
    if len(existing) >= MAX_TARIFFS:
        raise UnprocessableContent(
            f"A meter has at most {MAX_TARIFFS} tariffs.", code="tariff.too_many", params={"max_tariffs": MAX_TARIFFS}
        )
    valid_from = data.valid_from
    if any(t.valid_from == valid_from for t in existing):
        raise Conflict(
            "This meter already has a tariff from that day; remove it first.",
            field="valid_from",
            code="tariff.day_taken",
        )
    tariff = MeterTariff(
        tenant_id=meter.tenant_id,
        id=uuid.uuid4(),
        meter_id=meter.id,
        valid_from=valid_from,
        unit_price_minor=data.unit_price_minor.quantize(Decimal("0.0001")),
        fixed_daily_minor=data.fixed_daily_minor.quantize(Decimal("0.0001")),
        created_at=datetime.now(UTC),
        created_by=caller.user_id,
    )
    session.add(tariff)
    session.flush()
    pricing.reprice_meter(session, caller, meter, since=valid_from)
    return meter, tariff


def delete_tariff(session: Session, caller: Caller, meter_id: uuid.UUID, tariff_id: uuid.UUID) -> None:
    meter = writable_meter(session, caller, meter_id)
    tariff = session.execute(
        select(MeterTariff).where(on_meter(MeterTariff, meter), MeterTariff.id == tariff_id)
    ).scalar_one_or_none()
    if tariff is None:
        raise NotFound("No such tariff on this meter.", code="tariff.not_found")
    since = tariff.valid_from
    session.delete(tariff)
    session.flush()
    pricing.reprice_meter(session, caller, meter, since=since)
