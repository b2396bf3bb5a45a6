"""Every ratio the API returns has a defined value at every extreme: a base or a limit near
zero against the largest quantities and costs the contract allows gives the capped
percentage (±1e12, "at least this much"), a zero base or limit gives null, and no
percentage-bearing response ever breaks its schema (responses are validated in tests)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from conftest import API, VALID_LINE, add_member, create_meter, create_record

CAP = 1e12
HUGE_QUANTITY = 1_000_000_000
HUGE_COST = 100_000_000_000_000
SUMMARY = f"{API}/kpis/summary"


def _today() -> date:
    return date.today()  # the tenants of these tests are in UTC


def _gas(account, day: date, quantity: float, **extra: Any) -> dict[str, Any]:
    return create_record(
        account,
        kind="gas",
        quantity=quantity,
        period_start=day.isoformat(),
        period_end=day.isoformat(),
        cost_minor=extra.pop("cost_minor", 0),
        **extra,
    )


def _percentages(node: Any, where: str = "") -> list[tuple[str, Any]]:
    """Every field of a response whose name says it is a percentage, with its value."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if key.endswith("pct") and not isinstance(value, (dict, list)):
                found.append((path, value))
            found.extend(_percentages(value, path))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_percentages(value, f"{where}.{index}"))
    return found


def _summary(account, day: date, **params: str) -> dict[str, Any]:
    response = account.get(SUMMARY, params={"from": day.isoformat(), "to": day.isoformat(), **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _gas_summary(body: dict[str, Any]) -> dict[str, Any]:
    return next(k for k in body["kinds"] if k["kind"] == "gas")


def test_a_change_from_a_near_zero_base_is_the_cap(alice):
    day = date(2025, 6, 2)
    _gas(alice, day - timedelta(days=1), 0.001)
    _gas(alice, date(2024, 6, 2), 0.001)
    _gas(alice, day, HUGE_QUANTITY)

    gas = _gas_summary(_summary(alice, day))

    assert gas["change_vs_previous_pct"] == CAP
    assert gas["change_vs_last_year_pct"] == CAP


def test_a_change_to_nothing_is_minus_100_and_from_nothing_is_null(alice):
    day = date(2025, 6, 2)
    _gas(alice, day - timedelta(days=1), HUGE_QUANTITY)
    _gas(alice, day, 0)

    gas = _gas_summary(_summary(alice, day))

    assert gas["change_vs_previous_pct"] == -100.0
    assert gas["change_vs_last_year_pct"] is None


def test_a_tiny_quantity_budget_against_a_huge_month_is_the_cap(alice):
    assert alice.put(f"{API}/budgets", json={"items": [{"kind": "gas", "quantity_limit": 0.001}]}).status_code == 200
    _gas(alice, _today(), HUGE_QUANTITY)

    budget = _gas_summary(_summary(alice, _today()))["current_month"]["budget"]

    assert budget["quantity_used_pct"] == CAP
    assert budget["projected_over_budget"] is True


def test_a_one_cent_budget_against_the_largest_cost_is_the_cap(alice):
    items = [{"kind": "gas", "cost_limit_minor": 1, "currency": "EUR"}]
    assert alice.put(f"{API}/budgets", json={"items": items}).status_code == 200
    _gas(alice, _today(), 1, cost_minor=HUGE_COST, currency="EUR")

    budget = _gas_summary(_summary(alice, _today()))["current_month"]["budget"]

    assert budget["cost_used_pct"] == CAP


def test_a_zero_budget_has_no_percentage_but_is_over(alice):
    items = [{"kind": "gas", "quantity_limit": 0, "cost_limit_minor": 0, "currency": "EUR"}]
    assert alice.put(f"{API}/budgets", json={"items": items}).status_code == 200
    _gas(alice, _today(), 5, cost_minor=5, currency="EUR")

    budget = _gas_summary(_summary(alice, _today()))["current_month"]["budget"]

    assert budget["quantity_used_pct"] is None and budget["cost_used_pct"] is None
    assert budget["projected_over_budget"] is True


def test_a_one_cent_meter_budget_against_the_largest_cost_is_the_cap(alice):
    meter = create_meter(alice, kind="gas", monthly_budget_minor=1, currency="EUR")
    _gas(alice, _today(), 1, cost_minor=HUGE_COST, currency="EUR", meter_id=meter["id"])

    body = _summary(alice, _today(), meter_id=meter["id"])

    assert body["meter_budget"]["used_pct"] == CAP
    assert body["meter_budget"]["cost_to_date_minor"] == HUGE_COST


def test_a_members_extreme_records_do_not_break_the_owners_tenant_summary(app, alice, owner_engine):
    member = add_member(owner_engine, app, alice, "mallory", "member")
    day = date(2025, 6, 2)
    _gas(member, day - timedelta(days=1), 0.001)
    _gas(member, day, HUGE_QUANTITY)

    gas = _gas_summary(_summary(alice, day, scope="tenant"))

    assert gas["change_vs_previous_pct"] == CAP


# --- the class: every percentage-bearing response at the extremes --------------------------------


@pytest.fixture
def extreme_books(alice) -> dict[str, str]:
    """Alice's data at every extreme the contract allows: near-zero and huge quantities and
    costs on consecutive days and a year apart, one-cent and 0.001 budgets, a one-cent meter
    budget, and a line whose tiny allowance is far exceeded."""
    today = _today()
    meter = create_meter(alice, kind="gas", monthly_budget_minor=1, currency="EUR")
    line = create_meter(alice, **{**VALID_LINE, "plan": {**VALID_LINE["plan"], "data_mb": 1}})
    for day in (today - timedelta(days=1), today - timedelta(days=366)):
        _gas(alice, day, 0.001, cost_minor=1, currency="EUR", meter_id=meter["id"])
        create_record(
            alice,
            kind="electricity",
            quantity=0.001,
            period_start=day.isoformat(),
            period_end=day.isoformat(),
            cost_minor=0,
            currency="USD",
        )
    _gas(alice, today, HUGE_QUANTITY, cost_minor=HUGE_COST, currency="EUR", meter_id=meter["id"])
    create_record(
        alice,
        kind="electricity",
        quantity=HUGE_QUANTITY,
        period_start=today.isoformat(),
        period_end=today.isoformat(),
        cost_minor=1,
        currency="EUR",
    )
    items = [
        {"kind": "gas", "quantity_limit": 0.001, "cost_limit_minor": 1, "currency": "EUR"},
        {"kind": "electricity", "quantity_limit": 0, "cost_limit_minor": 0, "currency": "EUR"},
    ]
    assert alice.put(f"{API}/budgets", json={"items": items}).status_code == 200
    simulated = alice.post(f"{API}/meters/{line['id']}/simulate", json={"data_mb": 100000, "cost_minor": 0})
    assert simulated.status_code == 201, simulated.text
    return {"meter": meter["id"], "line": line["id"]}


def _extreme_requests(books: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    today, year_ago = _today(), _today() - timedelta(days=400)
    days = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    year = {"from": year_ago.isoformat(), "to": today.isoformat()}
    return [
        (SUMMARY, days),
        (SUMMARY, {**days, "kind": "gas"}),
        (SUMMARY, {**days, "meter_id": books["meter"]}),
        (SUMMARY, {**days, "scope": "tenant"}),
        (SUMMARY, year),
        (SUMMARY, {"from": today.isoformat(), "to": today.isoformat()}),
        (f"{API}/kpis/breakdown", days),
        (f"{API}/kpis/breakdown", year),
        (f"{API}/kpis/timeseries", {**year, "interval": "month"}),
        (f"{API}/meters/{books['line']}/status", {}),
    ]


def test_every_percentage_bearing_response_stays_in_its_bounds_at_the_extremes(alice, extreme_books):
    seen = 0
    for url, params in _extreme_requests(extreme_books):
        response = alice.get(url, params=params)
        assert response.status_code == 200, (url, params, response.text)
        for field, value in _percentages(response.json()):
            seen += 1
            assert value is None or -CAP <= value <= CAP, (url, field, value)
            if field.endswith(".pct"):  # a share of a whole
                assert 0 <= value <= 100, (url, field, value)
    assert seen >= 10


def test_sums_beyond_the_contracts_bound_are_reported_as_the_bound(alice, owner_engine):
    from sqlalchemy import text

    # A roll-up as a million records at the largest quantity would leave it (written behind
    # the API: making them one by one would take an hour).
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": alice.tenant_id})
        conn.execute(
            text(
                "INSERT INTO consumption_daily (tenant_id, owner_id, day, kind, currency, quantity, "
                "cost_minor, records) VALUES (:t, :o, :d, 'gas', 'EUR', 1e16, 1e17, 1000000)"
            ),
            {"t": alice.tenant_id, "o": alice.user_id, "d": _today()},
        )
        conn.execute(
            text(
                "INSERT INTO consumption_monthly (tenant_id, owner_id, month, kind, currency, quantity, "
                "cost_minor, records) VALUES (:t, :o, :d, 'gas', 'EUR', 1e16, 1e17, 1000000)"
            ),
            {"t": alice.tenant_id, "o": alice.user_id, "d": _today().replace(day=1)},
        )

    for url, params in [(SUMMARY, {}), (f"{API}/kpis/breakdown", {}), (f"{API}/kpis/timeseries", {"interval": "day"})]:
        response = alice.get(url, params={"from": _today().isoformat(), "to": _today().isoformat(), **params})
        assert response.status_code == 200, (url, response.text)
    gas = _gas_summary(_summary(alice, _today()))
    assert gas["quantity"] == 1e15
    assert gas["current_month"]["projected_quantity"] == 1e15
