"""Alerts a user sees in the app without a webhook: this month's projection over a budget (a
kind's or a meter's), a line's balance running low, a line's allowance used up. Computed when
asked, from the same KPIs and line status the app shows, so an alert is never stale."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from consumo.config import get_settings
from consumo.kpis import service as kpis
from consumo.lines import service as lines
from consumo.meters.models import Meter
from consumo.meters.service import readable_meters
from consumo.security.identity import Caller

MAX_METERS_CHECKED = 50


@dataclass(frozen=True)
class Alert:
    type: str  # budget.projected_over | line.balance_low | line.allowance_exhausted
    kind: str | None = None
    meter_id: uuid.UUID | None = None
    meter_name: str | None = None
    currency: str | None = None
    amount_minor: int | None = None  # the projection, or the balance
    limit_minor: int | None = None  # the budget, or the low-balance threshold
    since: date | None = None  # the period it holds for: the month (budgets), the billing cycle (allowances)


def current_alerts(session: Session, caller: Caller) -> list[Alert]:
    """The caller's own alerts (their budgets, meters and lines), kinds first, then meters."""
    today = caller.today()
    month_start = today.replace(day=1)
    found: list[Alert] = []
    summary = kpis.summarize(session, caller, start=month_start, end=today, kind=None, where=kpis.KpiFilter("mine"))
    for each in summary.kinds:
        progress = each.current_month.budget
        if progress is not None and progress.projected_over_budget:
            budget = progress.budget
            found.append(
                Alert(
                    "budget.projected_over",
                    kind=each.kind,
                    currency=budget.currency,
                    amount_minor=each.current_month.projected_cost.get(budget.currency) if budget.currency else None,
                    limit_minor=budget.cost_limit_minor,
                    since=month_start,
                )
            )
    meters = session.execute(readable_meters(caller, "mine").order_by(Meter.name).limit(MAX_METERS_CHECKED)).scalars()
    default_threshold = get_settings().line_balance_low_minor
    for meter in list(meters):
        if meter.monthly_budget_minor is not None:
            by_meter = kpis.summarize(
                session, caller, start=month_start, end=today, kind=None, where=kpis.KpiFilter("mine", meter.id)
            )
            progress_of_meter = by_meter.meter_budget
            if progress_of_meter is not None and progress_of_meter.projected_over_budget:
                found.append(
                    Alert(
                        "budget.projected_over",
                        meter_id=meter.id,
                        meter_name=meter.name,
                        currency=meter.currency,
                        amount_minor=progress_of_meter.projected_cost_minor,
                        limit_minor=meter.monthly_budget_minor,
                        since=month_start,
                    )
                )
        if meter.kind != "mobile_line":
            continue
        threshold = meter.low_balance_threshold(default_threshold)
        if meter.balance_minor is not None and meter.balance_minor < threshold:
            found.append(
                Alert(
                    "line.balance_low",
                    meter_id=meter.id,
                    meter_name=meter.name,
                    currency=meter.currency,
                    amount_minor=meter.balance_minor,
                    limit_minor=threshold,
                )
            )
        status = lines.line_status(session, caller, meter.id, today=today)
        for allowance in status.allowances:
            if allowance.included > 0 and allowance.remaining <= 0:
                found.append(
                    Alert(
                        "line.allowance_exhausted",
                        kind=allowance.kind,
                        meter_id=meter.id,
                        meter_name=meter.name,
                        since=status.cycle.start,
                    )
                )
    return found
