"""Bill-accurate costs from a meter's tariffs.

A record's quantity is spread evenly over the days of its period (as the KPI roll-ups do);
each day is priced at the tariff valid that day, plus that tariff's fixed charge per day,
and the total is rounded half up to the minor unit once. A record with a day that no
tariff covers (before the first one) has no cost: a partial price would look like a bill
and be wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from consumo.consumptions.models import ConsumptionRecord
from consumo.meters.children import on_meter
from consumo.meters.models import Meter, MeterTariff
from consumo.security.identity import Caller
from consumo.versioning import touch

MAX_COST_MINOR = 10**14


def tariffs_of(session: Session, meter: Meter) -> list[MeterTariff]:
    """The meter's tariffs, oldest first."""
    return list(
        session.execute(
            select(MeterTariff).where(on_meter(MeterTariff, meter)).order_by(MeterTariff.valid_from.asc())
        ).scalars()
    )


def price(tariffs: list[MeterTariff], quantity: Decimal, start: date, end: date) -> int | None:
    """The cost in minor units of `quantity` over [start, end] under `tariffs` (oldest
    first), or None when a day of the period has no tariff."""
    if not tariffs or start < tariffs[0].valid_from:
        return None
    days = (end - start).days + 1
    total = Decimal(0)
    for index, tariff in enumerate(tariffs):
        segment_start = max(start, tariff.valid_from)
        following = tariffs[index + 1].valid_from if index + 1 < len(tariffs) else None
        segment_end = min(end, following - timedelta(days=1)) if following else end
        if segment_end < segment_start:
            continue
        segment_days = (segment_end - segment_start).days + 1
        total += quantity * segment_days / days * tariff.unit_price_minor
        total += segment_days * tariff.fixed_daily_minor
    cost = int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    # Beyond what a cost may be (1e14 minor units) the inputs are a typo, not a bill.
    return cost if cost <= MAX_COST_MINOR else None


def follows_tariffs(meter: Meter) -> bool:
    """Utility meters price records from tariffs; mobile lines are priced by their plan."""
    return not meter.is_line


def apply_tariffs(
    session: Session, record: ConsumptionRecord, meter: Meter, tariffs: list[MeterTariff] | None = None
) -> bool:
    """Price `record` (attached to `meter`, without a cost of its own) from the meter's
    tariffs. Returns whether its cost changed."""
    if tariffs is None:
        tariffs = tariffs_of(session, meter)
    cost = price(tariffs, record.quantity, record.period_start, record.period_end)
    changed = record.cost_minor != cost or record.currency != meter.currency or not record.cost_from_tariff
    record.cost_minor, record.currency, record.cost_from_tariff = cost, meter.currency, True
    return changed


def reprice_meter(session: Session, caller: Caller, meter: Meter, *, since: date) -> int:
    """Re-price the meter's tariff-priced records whose period reaches `since` or later
    (after a tariff was added or removed). Each changed record gets a new version, so an
    edit based on the old cost is refused (412). Returns how many changed."""
    tariffs = tariffs_of(session, meter)
    records = session.execute(
        select(ConsumptionRecord)
        .where(
            on_meter(ConsumptionRecord, meter),
            ConsumptionRecord.cost_from_tariff.is_(True),
            ConsumptionRecord.period_end >= since,
        )
        .with_for_update()
    ).scalars()
    changed = 0
    now = datetime.now(UTC)
    for record in records:
        if apply_tariffs(session, record, meter, tariffs):
            touch(record, caller, now)
            changed += 1
    session.flush()
    return changed
