"""KPIs from the roll-ups: totals, trends, projections, time series, budgets.

Every figure is a SQL aggregate over `consumption_monthly` (whole months) and
`consumption_daily` (the days around them), kept by a trigger as records are written, so
cost grows with the months and edge days asked for, not with the number of records. The
statements have a fixed text per scope shape (dates and periods are parameters): building
a fresh SQLAlchemy statement per request cost more than running it.
Quantities of different kinds (units) are never added; costs are summed per currency.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, TextClause, and_, delete, select, text
from sqlalchemy.orm import Session

from consumo.accounts.models import User
from consumo.accounts.service import tenant_members
from consumo.api_models import Budget as BudgetItem
from consumo.consumptions.models import UNIT_BY_KIND
from consumo.kpis.models import Budget
from consumo.meters import service as meters
from consumo.meters.models import Meter
from consumo.problems import Forbidden, UnprocessableContent
from consumo.security.identity import Caller

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
class MeterBudgetProgress:
    """A meter's monthly budget (a cost, in its currency) against this month so far."""

    meter_id: uuid.UUID
    currency: str
    limit_minor: int
    month_start: date
    days_elapsed: int
    days_in_month: int
    cost_to_date_minor: int
    projected_cost_minor: int
    used_pct: float | None
    projected_over_budget: bool


@dataclass(frozen=True)
class Summary:
    days: int
    kinds: list[KindSummary]
    meter_budget: MeterBudgetProgress | None


@dataclass(frozen=True)
class KindAmount:
    """A kind's quantity (3 decimals) and cost per currency (whole minor units), as reported."""

    quantity: Decimal
    cost: dict[str, int]

    @classmethod
    def of(cls, totals: KindTotals) -> KindAmount:
        return cls(round_quantity(totals.quantity), round_costs(totals.cost))


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    values: dict[str, KindAmount]


# --- scoping ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiFilter:
    """Whose records (`scope`) and, optionally, only those on one meter."""

    scope: Scope = "mine"
    meter_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RollupScope:
    """The roll-up rows a caller may aggregate, as a SQL condition and its parameters."""

    condition: str
    params: dict[str, Any]


def readable_rollup(caller: Caller, where: KpiFilter, kind: str | None = None) -> RollupScope:
    """Rows of the roll-ups (daily and monthly) the caller may aggregate: their own, or the
    tenant's for owners, admins and viewers asking for it; optionally of one meter or kind."""
    if where.scope == "tenant" and not caller.can_read_tenant:
        raise Forbidden(
            "Only owners, admins and viewers may see the whole tenant's KPIs.", code="scope.tenant_forbidden"
        )
    conditions = ["tenant_id = :tenant"]
    params: dict[str, Any] = {"tenant": caller.tenant_id}
    if where.scope == "mine":
        conditions.append("owner_id = :owner")
        params["owner"] = caller.user_id
    if where.meter_id is not None:
        conditions.append("meter_id = :meter")
        params["meter"] = where.meter_id
    if kind is not None:
        conditions.append("kind = :kind")
        params["kind"] = kind
    return RollupScope(" AND ".join(conditions), params)


def check_filter(session: Session, caller: Caller, where: KpiFilter) -> Meter | None:
    """The filter's meter, which the caller must be able to read (422 otherwise)."""
    if where.meter_id is None:
        return None
    return meters.check_meter_filter(session, caller, where.meter_id)


def _budgets_of(caller: Caller) -> ColumnElement[bool]:
    """The one scoping of budgets: the caller's own."""
    return and_(Budget.tenant_id == caller.tenant_id, Budget.owner_id == caller.user_id)


def own_budgets(caller: Caller) -> Select[tuple[Budget]]:
    return select(Budget).where(_budgets_of(caller))


# --- helpers ---------------------------------------------------------------------------


def check_range(start: date, end: date) -> int:
    if end < start:
        raise UnprocessableContent("`to` must not be before `from`.", field="to", code="range.to_before_from")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise UnprocessableContent(
            "A range spans at most 10 years.", field="to", code="range.too_long", params={"max_years": 10}
        )
    return days


# The contract's bound on a reported quantity (`Decimal3`). Sums and projections of many
# records at the largest quantity could pass it; they are reported as the bound.
QUANTITY_CAP = Decimal(10) ** 15


def round_quantity(value: Decimal) -> Decimal:
    return max(-QUANTITY_CAP, min(QUANTITY_CAP, value)).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def round_minor(amount: Decimal) -> int:
    """Money to whole minor units, half up."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# The contract's bound on a reported sum of money (`CostAmount`, a meter budget's cost to date
# and projection): within int64. Sums of many records at the largest cost could pass it;
# they are reported as the bound, as quantities are.
COST_CAP = 10**18


def report_minor(amount: Decimal) -> int:
    """A sum of money as reported: whole minor units, half up, at most COST_CAP."""
    return min(COST_CAP, round_minor(amount))


def round_costs(costs: dict[str, Decimal]) -> dict[str, int]:
    rounded = {currency: report_minor(amount) for currency, amount in costs.items()}
    return {currency: amount for currency, amount in sorted(rounded.items()) if amount != 0}


# Every percentage the API returns lies within ±PCT_CAP (the contract's `Percent` bounds): a
# base or limit near zero (a 0.001 m³ day, a 1-cent budget) makes the true ratio as large as
# 1e17 %, which is reported as PCT_CAP, meaning "at least this much".
PCT_CAP = Decimal(10) ** 12


def _pct(part: Decimal, whole: Decimal) -> float:
    """`part` as a percentage of a non-zero `whole`, to one decimal, within ±PCT_CAP."""
    ratio = max(-PCT_CAP, min(PCT_CAP, part / whole * 100))
    return float(ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share_pct(part: Decimal, whole: Decimal) -> float | None:
    """`part` as a percentage of `whole` (one decimal, capped), or None when `whole` is zero."""
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
    last_end = (
        end
        if _next_bucket(end.replace(day=1), "month") - timedelta(days=1) == end
        else end.replace(day=1) - timedelta(days=1)
    )
    if first > last_end:
        return None
    return first, last_end.replace(day=1)


@dataclass(frozen=True)
class Span:
    """A range of days cut for the roll-ups: [first, month_from) and [month_until, last] from
    the daily one, the whole months [month_from, month_until) from the monthly one (an empty
    month range when no month lies wholly inside)."""

    first: date
    month_from: date
    month_until: date
    last: date

    @classmethod
    def of(cls, start: date, end: date, *, whole_months: bool = True) -> Span:
        months = _whole_months(start, end) if whole_months else None
        if months is None:
            after = end + timedelta(days=1)
            return cls(start, after, after, end)
        return cls(start, months[0], _next_bucket(months[1], "month"), end)


@lru_cache(maxsize=64)
def _rollup_rows_sql(condition: str) -> str:
    """(period, day, kind, currency, quantity, cost_minor, records) for each span passed as
    parallel arrays. The text depends only on the scope's shape, so PostgreSQL and
    SQLAlchemy see one statement however many spans and whichever dates are asked for."""
    return f"""
        SELECT p.period, r.day, r.kind, r.currency, r.quantity, r.cost_minor, r.records
        FROM unnest(CAST(:periods AS integer[]), CAST(:firsts AS date[]), CAST(:month_froms AS date[]),
                    CAST(:month_untils AS date[]), CAST(:lasts AS date[]))
             AS p(period, first_day, month_from, month_until, last_day)
        CROSS JOIN LATERAL (
            SELECT day, kind, currency, quantity, cost_minor, records FROM consumption_daily
            WHERE {condition} AND day >= p.first_day AND day < p.month_from
            UNION ALL
            SELECT month, kind, currency, quantity, cost_minor, records FROM consumption_monthly
            WHERE {condition} AND month >= p.month_from AND month < p.month_until
            UNION ALL
            SELECT day, kind, currency, quantity, cost_minor, records FROM consumption_daily
            WHERE {condition} AND day >= p.month_until AND day <= p.last_day
        ) AS r"""


def _span_params(spans: list[Span]) -> dict[str, Any]:
    return {
        "periods": list(range(len(spans))),
        "firsts": [s.first for s in spans],
        "month_froms": [s.month_from for s in spans],
        "month_untils": [s.month_until for s in spans],
        "lasts": [s.last for s in spans],
    }


@lru_cache(maxsize=64)
def _totals_sql(condition: str) -> TextClause:
    return text(f"""
        SELECT period, kind, currency, sum(quantity), sum(cost_minor), sum(records)
        FROM ({_rollup_rows_sql(condition)}) AS rows GROUP BY period, kind, currency""")


@lru_cache(maxsize=64)
def _series_sql(condition: str) -> TextClause:
    return text(f"""
        SELECT CAST(date_trunc(CAST(:interval AS text), day) AS date), kind, currency, sum(quantity),
               sum(cost_minor)
        FROM ({_rollup_rows_sql(condition)}) AS rows GROUP BY 1, kind, currency""")


def _totals(
    session: Session, caller: Caller, where: KpiFilter, spans: list[tuple[date, date]], kind: str | None
) -> list[dict[str, KindTotals]]:
    """Totals per kind for each period in `spans`, in that order, in one statement."""
    scope = readable_rollup(caller, where, kind)
    params = {**scope.params, **_span_params([Span.of(start, end) for start, end in spans])}
    totals: list[dict[str, KindTotals]] = [defaultdict(KindTotals) for _ in spans]
    # Plain rows through the session's connection: the ORM's execution layer adds nothing here.
    for period, row_kind, currency, quantity, cost, records in session.connection().execute(
        _totals_sql(scope.condition), params
    ):
        totals[period][row_kind].add(quantity, currency, cost, int(records))
    return totals


# --- summary ---------------------------------------------------------------------------


def summarize(
    session: Session,
    caller: Caller,
    *,
    start: date,
    end: date,
    kind: str | None,
    where: KpiFilter,
    today: date | None = None,
) -> Summary:
    days = check_range(start, end)
    meter = check_filter(session, caller, where)
    today = today or caller.today()
    month_start = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    current, previous, last_year, month = _totals(
        session,
        caller,
        where,
        [
            (start, end),
            (start - timedelta(days=days), start - timedelta(days=1)),
            (_same_day_a_year_earlier(start), _same_day_a_year_earlier(end)),
            (month_start, today),
        ],
        kind,
    )
    # Budgets are the caller's own, for all their records of a kind: not comparable with
    # the whole tenant or one meter.
    own_records = where.scope == "mine" and where.meter_id is None
    budgets = {b.kind: b for b in session.execute(own_budgets(caller)).scalars()} if own_records else {}

    present = set(current) | set(previous) | set(last_year) | set(month) | set(budgets)
    if kind:
        present = {kind}
    summaries = []
    for each in (k for k in KINDS if k in present):
        now, before, year_ago = (
            current.get(each, KindTotals()),
            previous.get(each, KindTotals()),
            last_year.get(each, KindTotals()),
        )
        summaries.append(
            KindSummary(
                kind=each,
                quantity=round_quantity(now.quantity),
                cost=round_costs(now.cost),
                records=now.records,
                average_per_day=round_quantity(now.quantity / days),
                change_vs_previous_pct=_change_pct(now.quantity, before.quantity),
                change_vs_last_year_pct=_change_pct(now.quantity, year_ago.quantity),
                current_month=_project_month(
                    month.get(each, KindTotals()), budgets.get(each), month_start, today.day, days_in_month
                ),
            )
        )
    meter_budget = None
    if meter is not None and meter.monthly_budget_minor is not None:
        # The meter's budget covers every kind on it, whatever `kind` narrowed the rest to.
        month_all = month if kind is None else _totals(session, caller, where, [(month_start, today)], None)[0]
        spent = sum((totals.cost.get(meter.currency, ZERO) for totals in month_all.values()), ZERO)
        meter_budget = _meter_budget(meter, spent, month_start, today.day, days_in_month)
    return Summary(days, summaries, meter_budget)


def _meter_budget(
    meter: Meter, spent: Decimal, month_start: date, elapsed: int, days_in_month: int
) -> MeterBudgetProgress:
    limit = meter.monthly_budget_minor or 0
    projected = spent * Decimal(days_in_month) / Decimal(elapsed)
    return MeterBudgetProgress(
        meter_id=meter.id,
        currency=meter.currency,
        limit_minor=limit,
        month_start=month_start,
        days_elapsed=elapsed,
        days_in_month=days_in_month,
        cost_to_date_minor=report_minor(spent),
        projected_cost_minor=report_minor(projected),
        used_pct=share_pct(spent, Decimal(limit)),
        projected_over_budget=projected > limit,
    )


def _project_month(
    to_date: KindTotals, budget: Budget | None, month_start: date, elapsed: int, days_in_month: int
) -> MonthProjection:
    factor = Decimal(days_in_month) / Decimal(elapsed)
    projected_quantity = to_date.quantity * factor
    projected_cost = {currency: amount * factor for currency, amount in to_date.cost.items()}
    progress = None
    if budget is not None:
        quantity_pct = cost_pct = None
        over = False
        if budget.quantity_limit is not None:
            quantity_pct = share_pct(to_date.quantity, budget.quantity_limit)
            over = over or projected_quantity > budget.quantity_limit
        if budget.cost_limit_minor is not None and budget.currency:
            spent = to_date.cost.get(budget.currency, ZERO)
            cost_pct = share_pct(spent, Decimal(budget.cost_limit_minor))
            over = over or projected_cost.get(budget.currency, ZERO) > budget.cost_limit_minor
        progress = BudgetProgress(budget, quantity_pct, cost_pct, over)
    return MonthProjection(
        month_start=month_start,
        days_elapsed=elapsed,
        days_in_month=days_in_month,
        quantity_to_date=round_quantity(to_date.quantity),
        projected_quantity=round_quantity(projected_quantity),
        cost_to_date=round_costs(to_date.cost),
        projected_cost=round_costs(projected_cost),
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


def timeseries(
    session: Session, caller: Caller, *, interval: Interval, start: date, end: date, kind: str | None, where: KpiFilter
) -> list[Bucket]:
    days = check_range(start, end)
    check_filter(session, caller, where)
    if interval == "day" and days > MAX_DAY_BUCKETS:
        raise UnprocessableContent(
            f"At most {MAX_DAY_BUCKETS} day buckets; use weeks or months.",
            field="interval",
            code="range.too_many_buckets",
            params={"max_buckets": MAX_DAY_BUCKETS},
        )
    scope = readable_rollup(caller, where, kind)
    # Months may come whole from the monthly roll-up; days and weeks need the daily one.
    span = Span.of(start, end, whole_months=interval == "month")
    statement = _series_sql(scope.condition)
    rows = session.connection().execute(statement, {**scope.params, **_span_params([span]), "interval": interval})
    sums: dict[date, dict[str, KindTotals]] = defaultdict(lambda: defaultdict(KindTotals))
    nothing = KindAmount(ZERO, {})  # a kind with no consumption in a bucket
    kinds_seen: set[str] = {kind} if kind else set()
    for bucket_day, row_kind, currency, quantity, cost in rows:
        sums[bucket_day][row_kind].add(quantity, currency, cost)
        kinds_seen.add(row_kind)
    kinds = [k for k in KINDS if k in kinds_seen]
    buckets = []
    cursor = _bucket_start(start, interval)
    while cursor <= end:
        following = _next_bucket(cursor, interval)
        found = sums.get(cursor, {})
        values = {k: KindAmount.of(found[k]) if k in found else nothing for k in kinds}
        buckets.append(Bucket(max(cursor, start), min(following - timedelta(days=1), end), values))
        cursor = following
    return buckets


# --- breakdown ---------------------------------------------------------------------------


def breakdown(
    session: Session, caller: Caller, *, start: date, end: date, where: KpiFilter
) -> list[tuple[str, KindAmount, dict[str, float]]]:
    check_range(start, end)
    check_filter(session, caller, where)
    (totals,) = _totals(session, caller, where, [(start, end)], None)
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for entry in totals.values():
        for currency, amount in entry.cost.items():
            per_currency[currency] += amount
    result = []
    for each in (k for k in KINDS if k in totals):
        entry = totals[each]
        shares = {
            currency: _pct(entry.cost.get(currency, ZERO), whole)
            for currency, whole in sorted(per_currency.items())
            if whole > 0
        }
        result.append((each, KindAmount.of(entry), shares))
    return result


# --- budgets ----------------------------------------------------------------------------


def list_budgets(session: Session, caller: Caller) -> list[Budget]:
    budgets = session.execute(own_budgets(caller)).scalars()
    return sorted(budgets, key=lambda b: KINDS.index(b.kind))


def replace_budgets(session: Session, caller: Caller, items: Iterable[BudgetItem]) -> list[Budget]:
    if not caller.can_write:
        raise Forbidden("Your role may read but not set budgets.", code="role.read_only")
    items = list(items)
    errors = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.kind in seen:
            errors.append({"field": f"items.{index}.kind", "message": "appears twice", "code": "budget.kind_twice"})
        seen.add(item.kind)
        if item.quantity_limit is None and item.cost_limit_minor is None:
            errors.append(
                {
                    "field": f"items.{index}",
                    "message": "needs quantity_limit, cost_limit_minor or both",
                    "code": "budget.no_limit",
                }
            )
        if item.cost_limit_minor is not None and not item.currency:
            errors.append(
                {
                    "field": f"items.{index}.currency",
                    "message": "is required with cost_limit_minor",
                    "code": "budget.currency_required",
                }
            )
    if errors:
        raise UnprocessableContent("Some budgets are not valid.", code="budgets.invalid", errors=errors)
    # Replace-all is delete-then-insert: two at once would both delete nothing and both insert
    # the same keys. The user's row, locked until commit, puts a user's replacements in line;
    # NO KEY UPDATE, so it does not hold up rows that merely refer to the user.
    session.execute(
        tenant_members(caller)
        .with_only_columns(User.id)
        .where(User.id == caller.user_id)
        .with_for_update(key_share=True)
    )
    session.execute(delete(Budget).where(_budgets_of(caller)))
    for item in items:
        quantity_limit = item.quantity_limit
        session.add(
            Budget(
                tenant_id=caller.tenant_id,
                owner_id=caller.user_id,
                kind=item.kind,
                quantity_limit=Decimal(str(quantity_limit)).quantize(THOUSANDTH)
                if quantity_limit is not None
                else None,
                cost_limit_minor=item.cost_limit_minor,
                currency=item.currency if item.cost_limit_minor is not None else None,
            )
        )
    session.flush()
    return list_budgets(session, caller)
