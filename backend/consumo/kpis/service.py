"""KPIs from the daily roll-up: totals, trends, projections, time series, budgets.

Every figure is a SQL aggregate over `consumption_daily` (kept by a trigger as records are
written), so cost grows with the days asked for, not with the number of records.
Quantities of different kinds (units) are never added; costs are summed per currency.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, Select, delete, func, select, union_all
from sqlalchemy.orm import Session

from consumo.accounts.models import Tenant
from consumo.consumptions.models import UNIT_BY_KIND
from consumo.kpis.models import Budget, ConsumptionDaily, ConsumptionMonthly
from consumo.problems import Forbidden, UnprocessableContent
from consumo.security.caller import Caller

MAX_RANGE_DAYS = 3653  # ten years
MAX_DAY_BUCKETS = 400
KINDS = tuple(UNIT_BY_KIND)
Scope = Literal["mine", "tenant"]
Interval = Literal["day", "week", "month"]
THOUSANDTH = Decimal("0.001")
ZERO = Decimal(0)


@dataclass
class KindTotals:
    quantity: Decimal = ZERO
    cost: dict[str, Decimal] = field(default_factory=dict)
    records: int = 0

    def add(self, quantity: Decimal, currency: str, cost: Decimal, records: int = 0) -> None:
        self.quantity += quantity
        self.cost[currency] = self.cost.get(currency, ZERO) + cost
        self.records += records


@dataclass(frozen=True)
class MonthProjection:
    month_start: date
    days_elapsed: int
    days_in_month: int
    quantity_to_date: Decimal
    projected_quantity: Decimal
    cost_to_date: dict[str, int]
    projected_cost: dict[str, int]
    budget: BudgetProgress | None


@dataclass(frozen=True)
class BudgetProgress:
    budget: Budget
    quantity_used_pct: float | None
    cost_used_pct: float | None
    projected_over_budget: bool


@dataclass(frozen=True)
class KindSummary:
    kind: str
    quantity: Decimal
    cost: dict[str, int]
    records: int
    average_per_day: Decimal
    change_vs_previous_pct: float | None
    change_vs_last_year_pct: float | None
    current_month: MonthProjection


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    values: dict[str, KindTotals]


# --- scoping ---------------------------------------------------------------------------

def readable_rollup(caller: Caller, scope: Scope,
                    rollup: type[ConsumptionDaily | ConsumptionMonthly] = ConsumptionDaily) -> Select[Any]:
    """Rows of a roll-up (daily or monthly) the caller may aggregate: their own, or the
    tenant's for owners, admins and viewers asking for it."""
    if scope == "tenant" and not caller.can_read_tenant:
        raise Forbidden("Only owners, admins and viewers may see the whole tenant's KPIs.")
    statement = select(rollup).where(rollup.tenant_id == caller.tenant_id)
    if scope == "mine":
        statement = statement.where(rollup.owner_id == caller.user_id)
    return statement


def own_budgets(caller: Caller) -> Select[tuple[Budget]]:
    return select(Budget).where(Budget.tenant_id == caller.tenant_id, Budget.owner_id == caller.user_id)


# --- helpers ---------------------------------------------------------------------------

def check_range(start: date, end: date) -> int:
    if end < start:
        raise UnprocessableContent("`to` must not be before `from`.", field="to")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise UnprocessableContent("A range spans at most 10 years.", field="to")
    return days


def round_quantity(value: Decimal) -> Decimal:
    return value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def round_costs(costs: dict[str, Decimal]) -> dict[str, int]:
    rounded = {currency: int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for currency, amount in costs.items()}
    return {currency: amount for currency, amount in sorted(rounded.items()) if amount != 0}


def _pct(part: Decimal, whole: Decimal) -> float:
    """`part` as a percentage of a non-zero `whole`, to one decimal."""
    return float((part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _share_pct(part: Decimal, whole: Decimal) -> float | None:
    return None if whole == 0 else _pct(part, whole)


def _change_pct(current: Decimal, base: Decimal) -> float | None:
    return None if base == 0 else _pct(current - base, base)


def _same_day_a_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first day of the first and of the last calendar month lying wholly in [start, end]."""
    first = start if start.day == 1 else _next_bucket(start.replace(day=1), "month")
    last_end = end if _next_bucket(end.replace(day=1), "month") - timedelta(days=1) == end \
        else end.replace(day=1) - timedelta(days=1)
    if first > last_end:
        return None
    return first, last_end.replace(day=1)


def _period_rows(caller: Caller, scope: Scope, start: date, end: date) -> Any:
    """(day, kind, currency, quantity, cost_minor, records) rows covering [start, end]:
    whole months from the monthly roll-up (dated their first day), the partial months at
    the edges from the daily one. Their sums equal the daily roll-up's exactly."""
    daily = readable_rollup(caller, scope).subquery()
    months = _whole_months(start, end)

    def days(first: date, last: date) -> Any:
        return select(daily.c.day, daily.c.kind, daily.c.currency, daily.c.quantity, daily.c.cost_minor,
                      daily.c.records).where(daily.c.day.between(first, last))

    if months is None:
        return days(start, end).subquery()
    first_month, last_month = months
    monthly = readable_rollup(caller, scope, ConsumptionMonthly).subquery()
    parts = [select(monthly.c.month.label("day"), monthly.c.kind, monthly.c.currency, monthly.c.quantity,
                    monthly.c.cost_minor, monthly.c.records)
             .where(monthly.c.month.between(first_month, last_month))]
    if start < first_month:
        parts.append(days(start, first_month - timedelta(days=1)))
    after = _next_bucket(last_month, "month")
    if after <= end:
        parts.append(days(after, end))
    return union_all(*parts).subquery()


def _totals(session: Session, caller: Caller, scope: Scope, span: tuple[date, date],
            kind: str | None) -> dict[str, KindTotals]:
    start, end = span
    rows = _period_rows(caller, scope, start, end)
    statement = (
        select(rows.c.kind, rows.c.currency, func.sum(rows.c.quantity), func.sum(rows.c.cost_minor),
               func.sum(rows.c.records))
        .group_by(rows.c.kind, rows.c.currency)
    )
    if kind:
        statement = statement.where(rows.c.kind == kind)
    totals: dict[str, KindTotals] = defaultdict(KindTotals)
    for row_kind, currency, quantity, cost, records in session.execute(statement):
        totals[row_kind].add(quantity, currency, cost, int(records))
    return totals


def tenant_today(session: Session, caller: Caller) -> date:
    tenant = session.get_one(Tenant, caller.tenant_id)
    try:
        zone = ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


# --- summary ---------------------------------------------------------------------------

def summarize(session: Session, caller: Caller, *, start: date, end: date, kind: str | None,
              scope: Scope, today: date | None = None) -> list[KindSummary]:
    days = check_range(start, end)
    current = _totals(session, caller, scope, (start, end), kind)
    previous = _totals(session, caller, scope, (start - timedelta(days=days), start - timedelta(days=1)), kind)
    last_year = _totals(session, caller, scope,
                        (_same_day_a_year_earlier(start), _same_day_a_year_earlier(end)), kind)

    today = today or tenant_today(session, caller)
    month_start = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    month = _totals(session, caller, scope, (month_start, today), kind)
    budgets = {b.kind: b for b in session.execute(own_budgets(caller)).scalars()} if scope == "mine" else {}

    present = set(current) | set(previous) | set(last_year) | set(month) | set(budgets)
    if kind:
        present = {kind}
    summaries = []
    for each in (k for k in KINDS if k in present):
        now, before, year_ago = current.get(each, KindTotals()), previous.get(each, KindTotals()), \
            last_year.get(each, KindTotals())
        summaries.append(KindSummary(
            kind=each,
            quantity=round_quantity(now.quantity),
            cost=round_costs(now.cost),
            records=now.records,
            average_per_day=round_quantity(now.quantity / days),
            change_vs_previous_pct=_change_pct(now.quantity, before.quantity),
            change_vs_last_year_pct=_change_pct(now.quantity, year_ago.quantity),
            current_month=_project_month(month.get(each, KindTotals()), budgets.get(each), month_start,
                                         today.day, days_in_month),
        ))
    return summaries


def _project_month(to_date: KindTotals, budget: Budget | None, month_start: date, elapsed: int,
                   days_in_month: int) -> MonthProjection:
    factor = Decimal(days_in_month) / Decimal(elapsed)
    projected_quantity = to_date.quantity * factor
    projected_cost = {currency: amount * factor for currency, amount in to_date.cost.items()}
    progress = None
    if budget is not None:
        quantity_pct = cost_pct = None
        over = False
        if budget.quantity_limit is not None:
            quantity_pct = _share_pct(to_date.quantity, budget.quantity_limit)
            over = over or projected_quantity > budget.quantity_limit
        if budget.cost_limit_minor is not None and budget.currency:
            spent = to_date.cost.get(budget.currency, ZERO)
            cost_pct = _share_pct(spent, Decimal(budget.cost_limit_minor))
            over = over or projected_cost.get(budget.currency, ZERO) > budget.cost_limit_minor
        progress = BudgetProgress(budget, quantity_pct, cost_pct, over)
    return MonthProjection(
        month_start=month_start, days_elapsed=elapsed, days_in_month=days_in_month,
        quantity_to_date=round_quantity(to_date.quantity),
        projected_quantity=round_quantity(projected_quantity),
        cost_to_date=round_costs(to_date.cost), projected_cost=round_costs(projected_cost),
        budget=progress,
    )


# --- time series -------------------------------------------------------------------------

def _bucket_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def timeseries(session: Session, caller: Caller, *, interval: Interval, start: date, end: date,
               kind: str | None, scope: Scope) -> list[Bucket]:
    days = check_range(start, end)
    if interval == "day" and days > MAX_DAY_BUCKETS:
        raise UnprocessableContent(f"At most {MAX_DAY_BUCKETS} day buckets; use weeks or months.", field="interval")
    if interval == "month":
        rows = _period_rows(caller, scope, start, end)
    else:
        rows = readable_rollup(caller, scope).where(ConsumptionDaily.day.between(start, end)).subquery()
    bucket = func.date_trunc(interval, rows.c.day).cast(Date).label("bucket")
    statement = (
        select(bucket, rows.c.kind, rows.c.currency, func.sum(rows.c.quantity), func.sum(rows.c.cost_minor))
        .group_by(bucket, rows.c.kind, rows.c.currency)
    )
    if kind:
        statement = statement.where(rows.c.kind == kind)
    sums: dict[date, dict[str, KindTotals]] = defaultdict(lambda: defaultdict(KindTotals))
    kinds_seen: set[str] = {kind} if kind else set()
    for bucket_day, row_kind, currency, quantity, cost in session.execute(statement):
        sums[bucket_day][row_kind].add(quantity, currency, cost)
        kinds_seen.add(row_kind)
    kinds = [k for k in KINDS if k in kinds_seen]
    buckets = []
    cursor = _bucket_start(start, interval)
    while cursor <= end:
        following = _next_bucket(cursor, interval)
        values = {k: sums.get(cursor, {}).get(k, KindTotals()) for k in kinds}
        buckets.append(Bucket(max(cursor, start), min(following - timedelta(days=1), end), values))
        cursor = following
    return buckets


# --- breakdown ---------------------------------------------------------------------------

def breakdown(session: Session, caller: Caller, *, start: date, end: date,
              scope: Scope) -> list[tuple[str, KindTotals, dict[str, float]]]:
    check_range(start, end)
    totals = _totals(session, caller, scope, (start, end), None)
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for entry in totals.values():
        for currency, amount in entry.cost.items():
            per_currency[currency] += amount
    result = []
    for each in (k for k in KINDS if k in totals):
        entry = totals[each]
        shares = {currency: _pct(entry.cost.get(currency, ZERO), whole)
                  for currency, whole in sorted(per_currency.items()) if whole > 0}
        result.append((each, entry, shares))
    return result


# --- budgets ----------------------------------------------------------------------------

def list_budgets(session: Session, caller: Caller) -> list[Budget]:
    budgets = session.execute(own_budgets(caller)).scalars()
    return sorted(budgets, key=lambda b: KINDS.index(b.kind))


def replace_budgets(session: Session, caller: Caller, items: Iterable[dict[str, object]]) -> list[Budget]:
    if not caller.can_write:
        raise Forbidden("Your role may read but not set budgets.")
    items = list(items)
    errors = []
    seen: set[object] = set()
    for index, item in enumerate(items):
        if item["kind"] in seen:
            errors.append({"field": f"items.{index}.kind", "message": "appears twice"})
        seen.add(item["kind"])
        if item.get("quantity_limit") is None and item.get("cost_limit_minor") is None:
            errors.append({"field": f"items.{index}", "message": "needs quantity_limit, cost_limit_minor or both"})
        if item.get("cost_limit_minor") is not None and not item.get("currency"):
            errors.append({"field": f"items.{index}.currency", "message": "is required with cost_limit_minor"})
    if errors:
        raise UnprocessableContent("Some budgets are not valid.", errors=errors)
    session.execute(delete(Budget).where(Budget.tenant_id == caller.tenant_id, Budget.owner_id == caller.user_id))
    for item in items:
        quantity_limit = item.get("quantity_limit")
        session.add(Budget(
            tenant_id=caller.tenant_id, owner_id=caller.user_id, kind=item["kind"],
            quantity_limit=Decimal(str(quantity_limit)).quantize(THOUSANDTH) if quantity_limit is not None else None,
            cost_limit_minor=item.get("cost_limit_minor"),
            currency=item.get("currency") if item.get("cost_limit_minor") is not None else None,
        ))
    session.flush()
    return list_budgets(session, caller)


