"""HTTP handlers for /kpis and /budgets: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any, cast

import flask

from consumo import api_models as api
from consumo.consumptions.models import UNIT_BY_KIND
from consumo.http import db_session, respond, typed_body
from consumo.kpis import service
from consumo.kpis.models import Budget
from consumo.security.caller import current_caller


def _costs(costs: dict[str, int]) -> list[api.CostAmount]:
    return [api.CostAmount(currency=currency, cost_minor=amount) for currency, amount in costs.items()]


def _budget_progress(progress: service.BudgetProgress | None) -> api.BudgetProgress | None:
    if progress is None:
        return None
    budget = progress.budget
    return api.BudgetProgress(
        quantity_limit=float(budget.quantity_limit) if budget.quantity_limit is not None else None,
        cost_limit_minor=budget.cost_limit_minor,
        currency=budget.currency,
        quantity_used_pct=progress.quantity_used_pct,
        cost_used_pct=progress.cost_used_pct,
        projected_over_budget=progress.projected_over_budget,
    )


def _month(projection: service.MonthProjection) -> api.MonthProjection:
    return api.MonthProjection(
        month_start=projection.month_start,
        days_elapsed=projection.days_elapsed,
        days_in_month=projection.days_in_month,
        quantity_to_date=float(projection.quantity_to_date),
        projected_quantity=float(projection.projected_quantity),
        cost_to_date=_costs(projection.cost_to_date),
        projected_cost=_costs(projection.projected_cost),
        budget=_budget_progress(projection.budget),
    )


def _filter(scope: str, meter_id: str | None) -> service.KpiFilter:
    return service.KpiFilter(
        scope=cast(service.Scope, scope),  # the contract's enum validated it
        meter_id=uuid.UUID(meter_id) if meter_id else None,
    )


def get_kpi_summary(
    from_: str, to: str, kind: str | None = None, meter_id: str | None = None, scope: str = "mine"
) -> flask.Response:
    start, end = date.fromisoformat(from_), date.fromisoformat(to)
    summary = service.summarize(
        db_session(), current_caller(), start=start, end=end, kind=kind, where=_filter(scope, meter_id)
    )
    meter_budget = summary.meter_budget
    return respond(
        api.KpiSummary.model_validate(
            {
                "from": start,
                "to": end,
                "days": summary.days,
                "meter_budget": api.MeterBudgetProgress(**asdict(meter_budget)) if meter_budget else None,
                "kinds": [
                    api.KindSummary(
                        kind=k.kind,
                        unit=UNIT_BY_KIND[k.kind],
                        quantity=float(k.quantity),
                        cost=_costs(k.cost),
                        records=k.records,
                        average_per_day=float(k.average_per_day),
                        change_vs_previous_pct=k.change_vs_previous_pct,
                        change_vs_last_year_pct=k.change_vs_last_year_pct,
                        current_month=_month(k.current_month),
                    )
                    for k in summary.kinds
                ],
            }
        )
    )


def get_kpi_timeseries(  # noqa: PLR0917
    interval: str,
    from_: str,
    to: str,
    kind: str | None = None,
    meter_id: str | None = None,
    scope: str = "mine",
) -> flask.Response:
    start, end = date.fromisoformat(from_), date.fromisoformat(to)
    buckets = service.timeseries(
        db_session(),
        current_caller(),
        interval=cast(service.Interval, interval),  # the contract's enum validated it
        start=start,
        end=end,
        kind=kind,
        where=_filter(scope, meter_id),
    )
    # Plain JSON, not validated through KpiTimeseries on the way out: a 36-month series holds 216
    # values, and validating them cost more than the query. Its shape is the contract's: every
    # test validates every response against it (VALIDATE_RESPONSES).
    return respond(
        {
            "interval": interval,
            "from": start,
            "to": end,
            "buckets": [
                {
                    "start": b.start,
                    "end": b.end,
                    "values": [
                        {
                            "kind": k,
                            "unit": UNIT_BY_KIND[k],
                            "quantity": float(v.quantity),
                            "cost": [
                                {"currency": currency, "cost_minor": amount} for currency, amount in v.cost.items()
                            ],
                        }
                        for k, v in b.values.items()
                    ],
                }
                for b in buckets
            ],
        }
    )


def get_kpi_breakdown(from_: str, to: str, meter_id: str | None = None, scope: str = "mine") -> flask.Response:
    start, end = date.fromisoformat(from_), date.fromisoformat(to)
    rows = service.breakdown(db_session(), current_caller(), start=start, end=end, where=_filter(scope, meter_id))
    return respond(
        api.KpiBreakdown.model_validate(
            {
                "from": start,
                "to": end,
                "kinds": [
                    api.KindShare(
                        kind=k,
                        unit=UNIT_BY_KIND[k],
                        quantity=float(totals.quantity),
                        cost=_costs(totals.cost),
                        cost_share_pct=[api.CurrencyShare(currency=c, pct=p) for c, p in shares.items()],
                    )
                    for k, totals, shares in rows
                ],
            }
        )
    )


def _budget_list(budgets: list[Budget]) -> api.BudgetList:
    return api.BudgetList(
        items=[
            api.Budget(
                kind=b.kind,
                quantity_limit=float(b.quantity_limit) if b.quantity_limit is not None else None,
                cost_limit_minor=b.cost_limit_minor,
                currency=b.currency,
            )
            for b in budgets
        ]
    )


def get_budgets() -> flask.Response:
    return respond(_budget_list(service.list_budgets(db_session(), current_caller())))


def replace_budgets(body: dict[str, Any]) -> flask.Response:
    items = typed_body(api.BudgetList, body).items
    return respond(_budget_list(service.replace_budgets(db_session(), current_caller(), items)))
