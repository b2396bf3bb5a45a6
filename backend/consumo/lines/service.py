"""Mobile lines: the billing cycle, allowances and balance, top-ups and simulated usage.

A line's cycle starts each month on its plan's `cycle_start_day` (in the tenant's time zone).
Usage within the cycle's allowances is free; usage beyond them is charged at the plan's overage
prices and paid from the prepaid balance, which never goes negative: every change of the
balance happens with the line's row locked (`writable_meter`), so concurrent simulations and
top-ups are serialized.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from consumo.api_models import SimulationRequest
from consumo.consumptions.models import UNIT_BY_KIND, ConsumptionRecord
from consumo.consumptions.service import MAX_PERIOD_DAYS, readable_records
from consumo.kpis.service import THOUSANDTH, round_minor, round_quantity, share_pct
from consumo.lines.models import TopUp
from consumo.meters.children import on_meter
from consumo.meters.models import Meter
from consumo.meters.service import get_readable_meter, writable_meter
from consumo.paging import Page, by_time_and_id, keyset_page
from consumo.problems import NotFound, ParamValue, UnprocessableContent
from consumo.security.identity import Caller
from consumo.versioning import first_version, touch

ONE = Decimal(1)


@dataclass(frozen=True)
class PlanKind:
    """One allowance of a plan: the record kind, the meter's columns for it, and the
    simulation request's field."""

    kind: str
    included_column: str
    price_column: str
    request_field: str


PLAN_KINDS = (
    PlanKind("mobile_data", "plan_data_mb", "plan_data_mb_price_minor", "data_mb"),
    PlanKind("voice", "plan_voice_minutes", "plan_voice_minute_price_minor", "voice_minutes"),
    PlanKind("sms", "plan_sms", "plan_sms_price_minor", "sms"),
)


# --- the billing cycle ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    start: date
    end: date
    today: date

    @property
    def days_elapsed(self) -> int:
        """Days of the cycle so far, today included."""
        return (self.today - self.start).days + 1

    @property
    def days_left(self) -> int:
        """Days of the cycle after today."""
        return (self.end - self.today).days


def _month_day(year: int, month: int, day: int) -> date:
    """`day` of a month given by a year and a month number that may be 0 or 13."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, day)


def billing_cycle(cycle_start_day: int, today: date) -> Cycle:
    """The cycle holding `today`: from `cycle_start_day` of this month (or of the previous one
    when today is before it) to the day before the next start. Start days are 1–28, so every
    month has one."""
    offset = 0 if today.day >= cycle_start_day else -1
    start = _month_day(today.year, today.month + offset, cycle_start_day)
    end = _month_day(today.year, today.month + offset + 1, cycle_start_day) - timedelta(days=1)
    return Cycle(start, end, today)


# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowanceStatus:
    kind: str
    unit: str
    included: int
    used: Decimal
    remaining: Decimal
    used_pct: float | None
    runs_out_on: date | None


@dataclass(frozen=True)
class LineStatus:
    meter: Meter
    cycle: Cycle
    allowances: list[AllowanceStatus]
    spent_minor: int
    balance_runs_out_on: date | None


@dataclass(frozen=True)
class CycleUsage:
    """What the line's records add up to within a cycle: quantity per kind and cost, each
    record counted in proportion to the days of its period inside the cycle."""

    quantities: Mapping[str, Decimal]
    cost_minor: Decimal


def cycle_usage(session: Session, caller: Caller, meter: Meter, cycle: Cycle) -> CycleUsage:
    """One GROUP BY over the line's records that overlap the cycle (a range of the
    meter/period index: a period spans at most MAX_PERIOD_DAYS, which bounds where the
    overlapping ones can start)."""
    record = ConsumptionRecord
    cycle_start, cycle_end = literal(cycle.start, record.period_start.type), literal(cycle.end, record.period_end.type)
    days_inside = func.least(record.period_end, cycle_end) - func.greatest(record.period_start, cycle_start) + 1
    days_of_period = record.period_end - record.period_start + 1
    statement = (
        readable_records(caller)
        .with_only_columns(
            record.kind,
            func.sum(record.quantity * days_inside / days_of_period).label("quantity"),
            # Money in another currency than the line's cannot be added to its balance's.
            func.sum(
                case((record.currency == meter.currency, func.coalesce(record.cost_minor, 0)), else_=0)
                * days_inside
                / days_of_period
            ).label("cost"),
        )
        .where(
            record.meter_id == meter.id,
            record.period_start >= cycle.start - timedelta(days=MAX_PERIOD_DAYS),
            record.period_start <= cycle.end,
            record.period_end >= cycle.start,
        )
        .group_by(record.kind)
    )
    quantities: dict[str, Decimal] = {}
    cost = Decimal(0)
    for kind, quantity, kind_cost in session.execute(statement):
        quantities[kind] = Decimal(quantity)
        cost += Decimal(kind_cost)
    return CycleUsage(quantities, cost)


def _used_pct(used: Decimal, included: int) -> float | None:
    """Percent used, rounded and capped as the KPIs' (heavy overuse of a tiny allowance)."""
    return share_pct(used, Decimal(included))


def _runs_out_on(cycle: Cycle, included: int, used: Decimal, remaining: Decimal) -> date | None:
    """The day the allowance runs out at the pace so far, if that is within the cycle."""
    if included == 0:
        return None
    if remaining <= 0:
        return cycle.today
    if used <= 0:
        return None
    days = math.ceil(remaining / (used / cycle.days_elapsed))
    # Compared as a number of days first: at a tiny pace it can be past any date.
    return cycle.today + timedelta(days=days) if days <= cycle.days_left else None


def _balance_runs_out_on(cycle: Cycle, balance_minor: int, spent_minor: Decimal) -> date | None:
    """The day the balance runs out at this cycle's spending pace, if within the cycle."""
    if spent_minor <= 0:
        return None
    days = int((balance_minor / (spent_minor / cycle.days_elapsed)).to_integral_value(ROUND_FLOOR))
    return cycle.today + timedelta(days=days) if days <= cycle.days_left else None


def _status_of(session: Session, caller: Caller, meter: Meter, today: date) -> LineStatus:
    assert meter.plan_cycle_start_day is not None and meter.balance_minor is not None  # a line (ck_meters_line_plan)
    cycle = billing_cycle(meter.plan_cycle_start_day, today)
    usage = cycle_usage(session, caller, meter, cycle)
    allowances = []
    for plan_kind in PLAN_KINDS:
        included = int(getattr(meter, plan_kind.included_column) or 0)
        used = round_quantity(usage.quantities.get(plan_kind.kind, Decimal(0)))
        remaining = max(Decimal(included) - used, Decimal(0))
        used_pct = _used_pct(used, included)
        allowances.append(
            AllowanceStatus(
                kind=plan_kind.kind,
                unit=UNIT_BY_KIND[plan_kind.kind],
                included=included,
                used=used,
                remaining=remaining,
                used_pct=used_pct,
                runs_out_on=_runs_out_on(cycle, included, used, remaining),
            )
        )
    spent = round_minor(usage.cost_minor)
    return LineStatus(meter, cycle, allowances, spent, _balance_runs_out_on(cycle, meter.balance_minor, Decimal(spent)))


def _require_line(meter: Meter) -> None:
    if not meter.is_line:
        raise UnprocessableContent(
            "Only mobile lines have a plan, a balance and a billing cycle.", field="meter_id", code="meter.not_a_line"
        )


def line_status(session: Session, caller: Caller, meter_id: uuid.UUID, *, today: date | None = None) -> LineStatus:
    meter = get_readable_meter(session, caller, meter_id)
    _require_line(meter)
    return _status_of(session, caller, meter, today or caller.today())


# --- top-ups ------------------------------------------------------------------------------------


def top_up(session: Session, caller: Caller, meter_id: uuid.UUID, amount_minor: int) -> tuple[Meter, TopUp]:
    meter = writable_meter(session, caller, meter_id)
    _require_line(meter)
    assert meter.balance_minor is not None
    now = datetime.now(UTC)
    meter.balance_minor += amount_minor
    _touch(meter, caller, now)
    added = TopUp(
        tenant_id=meter.tenant_id,
        id=uuid.uuid4(),
        meter_id=meter.id,
        amount_minor=amount_minor,
        balance_after_minor=meter.balance_minor,
        created_at=now,
        created_by=caller.user_id,
    )
    session.add(added)
    session.flush()
    return meter, added


# Newest first, keyed by (created_at, id): two top-ups may share a timestamp.
TOP_UPS_NEWEST_FIRST = by_time_and_id(TopUp.created_at, TopUp.id, descending=True)


def list_top_ups(
    session: Session, caller: Caller, meter_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[Meter, Page[TopUp]]:
    meter = get_readable_meter(session, caller, meter_id)
    _require_line(meter)
    statement = select(TopUp).where(on_meter(TopUp, meter))
    return meter, keyset_page(session, statement, TOP_UPS_NEWEST_FIRST, limit=limit, cursor=cursor, scope=meter.id)


def get_top_up(session: Session, caller: Caller, meter_id: uuid.UUID, top_up_id: uuid.UUID) -> tuple[Meter, TopUp]:
    """One top-up of a line the caller can read (where a top-up's `Location` points)."""
    meter = get_readable_meter(session, caller, meter_id)
    found = session.execute(select(TopUp).where(on_meter(TopUp, meter), TopUp.id == top_up_id)).scalar_one_or_none()
    if found is None:
        raise NotFound("No such top-up on this line.", code="top_up.not_found")
    return meter, found


def _touch(meter: Meter, caller: Caller, now: datetime) -> None:
    """The meter's representation (its balance) changed: a new version for ETags."""
    touch(meter, caller, now)


# --- simulated usage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    records: list[ConsumptionRecord]
    cost_minor: int
    status: LineStatus


def random_burst(rng: random.Random) -> dict[str, Decimal]:
    """A plausible few hours on a phone: some data, perhaps a call or two and a few SMS."""
    data_mb = Decimal(rng.randint(1_000, 250_000)) / 1000
    voice = Decimal(rng.randint(0, 20 * 60)) / 60 if rng.random() < 0.6 else Decimal(0)
    sms = Decimal(rng.randint(0, 5)) if rng.random() < 0.5 else Decimal(0)
    return {"mobile_data": data_mb, "voice": round_quantity(voice), "sms": sms}


def _requested_usage(data: SimulationRequest) -> dict[str, Decimal] | None:
    """The usage per kind the request names, or None when it names none (a random burst)."""
    named = {kind.kind: getattr(data, kind.request_field) for kind in PLAN_KINDS}
    if all(value is None for value in named.values()):
        return None
    return {kind: round_quantity(Decimal(value or 0)) for kind, value in named.items()}


def _overage_charges(meter: Meter, status: LineStatus, usage: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The exact charge per kind for what goes beyond the remaining allowance."""
    remaining = {allowance.kind: allowance.remaining for allowance in status.allowances}
    return {
        kind.kind: max(usage[kind.kind] - remaining[kind.kind], Decimal(0))
        * Decimal(getattr(meter, kind.price_column) or 0)
        for kind in PLAN_KINDS
    }


def _cycle_overage_cost(meter: Meter, status: LineStatus, extra: Mapping[str, Decimal]) -> Decimal:
    """The exact price, at the plan's overage prices, of the cycle's usage beyond its
    allowances, with `extra` usage added to what the cycle used so far."""
    prices = {kind.kind: Decimal(getattr(meter, kind.price_column) or 0) for kind in PLAN_KINDS}
    return sum(
        (
            max(a.used + extra.get(a.kind, Decimal(0)) - a.included, Decimal(0)) * prices[a.kind]
            for a in status.allowances
        ),
        Decimal(0),
    )


def _charge_for(meter: Meter, before: LineStatus, usage: Mapping[str, Decimal]) -> int:
    """What this usage costs, rounded on the cycle's running total rather than on its own:
    the charges of a cycle always add up to its whole overage rounded once, so usage split
    over many requests (20 × 0.249 MB) pays what it would in one (4.98 MB), never less."""
    return round_minor(_cycle_overage_cost(meter, before, usage)) - round_minor(_cycle_overage_cost(meter, before, {}))


def _affordable(meter: Meter, status: LineStatus, usage: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """`usage` cut where the balance would run out, as a prepaid line stops when it is empty:
    each kind keeps what its allowance covers and as much overage as the balance still pays."""
    remaining = {allowance.kind: allowance.remaining for allowance in status.allowances}
    budget = Decimal(meter.balance_minor or 0)
    cut: dict[str, Decimal] = {}
    for kind in PLAN_KINDS:
        wanted = usage[kind.kind]
        free = min(wanted, remaining[kind.kind])
        price = Decimal(getattr(meter, kind.price_column) or 0)
        overage = wanted - free
        if price > 0:
            step = ONE if kind.kind == "sms" else THOUSANDTH
            overage = min(overage, (budget / price).quantize(step, rounding=ROUND_FLOOR))
            budget -= overage * price
        cut[kind.kind] = free + overage
    return cut


def _split_charge(total: int, charges: Mapping[str, Decimal]) -> dict[str, int]:
    """Whole minor units per kind that add up to `total` (largest remainders first), so the
    records' costs sum to what was taken from the balance."""
    floors = {kind: int(charge.to_integral_value(ROUND_FLOOR)) for kind, charge in charges.items()}
    left = total - sum(floors.values())
    by_remainder = sorted(charges, key=lambda kind: charges[kind] - floors[kind], reverse=True)
    for kind in by_remainder[: max(left, 0)]:
        floors[kind] += 1
    return floors


def simulate_usage(
    session: Session,
    caller: Caller,
    meter_id: uuid.UUID,
    data: SimulationRequest,
    *,
    today: date | None = None,
    rng: random.Random | None = None,
) -> Simulation:
    """Records the usage in `data` (or a random burst when it names none) as today's records
    of the line and takes its charge from the balance. Usage that cannot be paid is refused
    and nothing is recorded."""
    meter = writable_meter(session, caller, meter_id)
    _require_line(meter)
    assert meter.balance_minor is not None
    day = today or caller.today()
    before = _status_of(session, caller, meter, day)
    requested = _requested_usage(data)
    if requested is not None:
        usage = requested
        if not any(usage.values()):
            raise UnprocessableContent(
                "There is nothing to record: every quantity is zero.",
                field="data_mb",
                code="simulation.nothing_to_record",
            )
    else:
        usage = random_burst(rng or random.SystemRandom())
        if data.cost_minor is None:
            usage = _affordable(meter, before, usage)
        if not any(usage.values()):
            raise _insufficient(meter, needed=None, field="balance_minor")

    charges = _overage_charges(meter, before, usage)
    explicit = data.cost_minor
    charge = explicit if explicit is not None else _charge_for(meter, before, usage)
    if charge > meter.balance_minor:
        raise _insufficient(meter, needed=charge, field="cost_minor" if explicit is not None else "balance_minor")

    used_kinds = [kind.kind for kind in PLAN_KINDS if usage[kind.kind] > 0]
    if explicit is not None:
        costs = {kind: charge if index == 0 else 0 for index, kind in enumerate(used_kinds)}
    else:
        costs = _split_charge(charge, {kind: charges[kind] for kind in used_kinds})

    now = datetime.now(UTC)
    records = [
        ConsumptionRecord(
            tenant_id=meter.tenant_id,
            id=uuid.uuid4(),
            owner_id=caller.user_id,
            kind=kind,
            quantity=usage[kind],
            period_start=day,
            period_end=day,
            cost_minor=costs[kind],
            currency=meter.currency,
            source="simulation",
            meter_id=meter.id,
            cost_from_tariff=False,
            **first_version(caller, now),
        )
        for kind in used_kinds
    ]
    session.add_all(records)
    if charge:
        meter.balance_minor -= charge
        _touch(meter, caller, now)
    session.flush()
    return Simulation(records, charge, _status_of(session, caller, meter, day))


def _insufficient(meter: Meter, *, needed: int | None, field: str) -> UnprocessableContent:
    available = f"{meter.balance_minor} {meter.currency} minor units"
    params: dict[str, ParamValue] = {"balance_minor": meter.balance_minor or 0, "currency": meter.currency}
    if needed is None:
        detail = f"Insufficient balance: the allowances are used up and the balance ({available}) pays for nothing."
        return UnprocessableContent(detail, field=field, code="balance.allowances_used_up", params=params)
    detail = f"Insufficient balance: this usage costs {needed} but the balance is {available}; top up first."
    return UnprocessableContent(
        detail, field=field, code="balance.insufficient", params={**params, "needed_minor": needed}
    )
