"""KPIs: exact per-kind figures from the roll-up, spread by days, isolated, and always
equal to a recomputation from the raw records."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import API, add_member

SUMMARY, SERIES, BREAKDOWN, BUDGETS = (
    f"{API}/kpis/summary",
    f"{API}/kpis/timeseries",
    f"{API}/kpis/breakdown",
    f"{API}/budgets",
)


def record(
    account: Any, kind: str, quantity: float, start: str, end: str, cost: int | None = None, currency: str = "EUR"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "quantity": quantity,
        "period_start": start,
        "period_end": end,
        "currency": currency,
        "notes": "kpi",
    }
    if cost is not None:
        body["cost_minor"] = cost
    return post_record(account, body)


def post_record(account: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = account.post(f"{API}/consumptions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def by_kind(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["kind"]: entry for entry in summary["kinds"]}


def test_summary_totals_each_kind_in_its_own_unit_and_costs_per_currency(alice):
    record(alice, "electricity", 100, "2025-03-01", "2025-03-31", cost=3100)
    record(alice, "electricity", 50.5, "2025-03-10", "2025-03-10", cost=1000, currency="USD")
    record(alice, "water", 12.25, "2025-03-01", "2025-03-31", cost=2000)
    response = alice.get(SUMMARY, params={"from": "2025-03-01", "to": "2025-03-31"})
    assert response.status_code == 200, response.text
    kinds = by_kind(response.json())
    assert set(kinds) == {"electricity", "water"}
    assert kinds["electricity"]["unit"] == "kWh" and kinds["water"]["unit"] == "m3"
    assert kinds["electricity"]["quantity"] == 150.5
    assert kinds["electricity"]["records"] == 2
    assert kinds["electricity"]["cost"] == [
        {"currency": "EUR", "cost_minor": 3100},
        {"currency": "USD", "cost_minor": 1000},
    ]
    assert kinds["electricity"]["average_per_day"] == round(150.5 / 31, 3)
    assert kinds["water"]["quantity"] == 12.25


def test_a_bill_crossing_months_counts_in_each_month_in_proportion_to_days(alice):
    # 15 Jan .. 14 Feb 2025: 17 days in January, 14 in February, 31 in all.
    record(alice, "gas", 31, "2025-01-15", "2025-02-14", cost=6200)
    response = alice.get(SERIES, params={"interval": "month", "from": "2025-01-01", "to": "2025-02-28"})
    assert response.status_code == 200, response.text
    buckets = response.json()["buckets"]
    assert [(b["start"], b["end"]) for b in buckets] == [("2025-01-01", "2025-01-31"), ("2025-02-01", "2025-02-28")]
    assert [b["values"][0]["quantity"] for b in buckets] == [17.0, 14.0]
    assert [b["values"][0]["cost"] for b in buckets] == [
        [{"currency": "EUR", "cost_minor": 3400}],
        [{"currency": "EUR", "cost_minor": 2800}],
    ]


def test_a_period_crossing_the_year_and_a_leap_day_is_spread_exactly(alice):
    # 28 Dec 2023 .. 3 Mar 2024 = 4 + 31 + 29 + 3 = 67 days, 67 kWh: 1 per day.
    record(alice, "electricity", 67, "2023-12-28", "2024-03-03")
    series = alice.get(SERIES, params={"interval": "month", "from": "2023-12-01", "to": "2024-03-31"}).json()
    assert [b["values"][0]["quantity"] for b in series["buckets"]] == [4.0, 31.0, 29.0, 3.0]
    leap_day = alice.get(SUMMARY, params={"from": "2024-02-29", "to": "2024-02-29"}).json()
    assert by_kind(leap_day)["electricity"]["quantity"] == 1.0


def test_timeseries_has_no_gaps_and_weeks_start_on_monday(alice):
    record(alice, "water", 7, "2025-06-02", "2025-06-08")  # Monday .. Sunday
    daily = alice.get(SERIES, params={"interval": "day", "from": "2025-06-01", "to": "2025-06-10"}).json()
    assert len(daily["buckets"]) == 10
    assert [b["values"][0]["quantity"] for b in daily["buckets"]] == [0, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    weekly = alice.get(SERIES, params={"interval": "week", "from": "2025-06-01", "to": "2025-06-15"}).json()
    assert [(b["start"], b["end"]) for b in weekly["buckets"]] == [
        ("2025-06-01", "2025-06-01"),
        ("2025-06-02", "2025-06-08"),
        ("2025-06-09", "2025-06-15"),
    ]
    assert [b["values"][0]["quantity"] for b in weekly["buckets"]] == [0, 7, 0]


def test_changes_compare_with_the_previous_period_and_the_year_before(alice):
    record(alice, "electricity", 200, "2025-05-01", "2025-05-31")
    record(alice, "electricity", 100, "2025-04-01", "2025-04-30")
    record(alice, "electricity", 250, "2024-05-01", "2024-05-31")
    kinds = by_kind(alice.get(SUMMARY, params={"from": "2025-05-01", "to": "2025-05-31"}).json())
    # The previous 31 days are 31 Mar .. 30 Apr: all of April's 100.
    assert kinds["electricity"]["change_vs_previous_pct"] == 100.0
    assert kinds["electricity"]["change_vs_last_year_pct"] == -20.0
    first = by_kind(alice.get(SUMMARY, params={"from": "2024-05-01", "to": "2024-05-31"}).json())
    assert first["electricity"]["change_vs_previous_pct"] is None  # nothing before


def test_edits_and_deletes_are_reflected_in_the_kpis(alice):
    created = record(alice, "sms", 10, "2025-07-01", "2025-07-10", cost=100)
    params = {"from": "2025-07-01", "to": "2025-07-31"}
    url = f"{API}/consumptions/{created['id']}"
    edited = alice.patch(url, json={"quantity": 30, "period_end": "2025-07-05"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200
    assert by_kind(alice.get(SUMMARY, params=params).json())["sms"]["quantity"] == 30.0
    moved = alice.patch(url, json={"kind": "voice"}, headers={"If-Match": '"2"'})
    assert moved.status_code == 200
    kinds = by_kind(alice.get(SUMMARY, params=params).json())
    assert "sms" not in kinds and kinds["voice"]["quantity"] == 30.0
    assert alice.delete(url, headers={"If-Match": '"3"'}).status_code == 204
    assert alice.get(SUMMARY, params=params).json()["kinds"] == []


def test_kpis_never_include_another_users_or_tenants_records(app, alice, bob, owner_engine):
    member = add_member(owner_engine, app, alice, "carol", "member")
    record(alice, "gas", 5, "2025-01-01", "2025-01-01")
    record(member, "gas", 7, "2025-01-01", "2025-01-01")
    record(bob, "gas", 11, "2025-01-01", "2025-01-01")
    params = {"from": "2025-01-01", "to": "2025-01-31"}
    assert by_kind(alice.get(SUMMARY, params=params).json())["gas"]["quantity"] == 5.0
    assert by_kind(member.get(SUMMARY, params=params).json())["gas"]["quantity"] == 7.0
    assert by_kind(bob.get(SUMMARY, params=params).json())["gas"]["quantity"] == 11.0
    tenant = alice.get(SUMMARY, params={**params, "scope": "tenant"}).json()
    assert by_kind(tenant)["gas"]["quantity"] == 12.0  # alice + carol, never bob
    assert member.get(SUMMARY, params={**params, "scope": "tenant"}).status_code == 403
    series = bob.get(SERIES, params={**params, "interval": "month", "scope": "tenant"}).json()
    assert series["buckets"][0]["values"][0]["quantity"] == 11.0


def test_ranges_are_bounded(alice):
    assert alice.get(SUMMARY, params={"from": "2025-02-01", "to": "2025-01-01"}).status_code == 422
    assert alice.get(SUMMARY, params={"from": "2000-01-01", "to": "2010-12-31"}).status_code == 422
    too_many_days = alice.get(SERIES, params={"interval": "day", "from": "2025-01-01", "to": "2026-02-05"})
    assert too_many_days.status_code == 422
    assert too_many_days.json()["errors"][0]["field"] == "interval"
    assert alice.get(SERIES, params={"interval": "day", "from": "2025-01-01", "to": "2026-02-04"}).status_code == 200
    assert alice.get(SERIES, params={"interval": "hour", "from": "2025-01-01", "to": "2025-01-02"}).status_code == 400
    assert alice.get(SUMMARY, params={"from": "2025-01-01"}).status_code == 400


def test_breakdown_gives_each_kinds_share_of_cost_per_currency(alice):
    record(alice, "electricity", 10, "2025-09-01", "2025-09-30", cost=7500)
    record(alice, "water", 3, "2025-09-01", "2025-09-30", cost=2500)
    record(alice, "sms", 40, "2025-09-01", "2025-09-30")
    body = alice.get(BREAKDOWN, params={"from": "2025-09-01", "to": "2025-09-30"}).json()
    shares = {k["kind"]: k for k in body["kinds"]}
    assert shares["electricity"]["cost_share_pct"] == [{"currency": "EUR", "pct": 75.0}]
    assert shares["water"]["cost_share_pct"] == [{"currency": "EUR", "pct": 25.0}]
    assert shares["sms"]["cost_share_pct"] == [{"currency": "EUR", "pct": 0.0}]
    assert shares["sms"]["quantity"] == 40.0 and shares["sms"]["unit"] == "count"


def test_budgets_are_replaced_and_reported_with_the_month_projection(alice):
    put = alice.put(
        BUDGETS,
        json={"items": [{"kind": "electricity", "quantity_limit": 300, "cost_limit_minor": 5000, "currency": "EUR"}]},
    )
    assert put.status_code == 200, put.text
    assert alice.get(BUDGETS).json()["items"] == put.json()["items"]
    today = date.today()
    month_start = today.replace(day=1)
    # Consumption so far this month at 20 kWh per day, beyond a 300 kWh monthly budget.
    days = (today - month_start).days + 1
    record(alice, "electricity", 20 * days, month_start.isoformat(), today.isoformat(), cost=100 * days)
    summary = alice.get(SUMMARY, params={"from": month_start.isoformat(), "to": today.isoformat()}).json()
    month = by_kind(summary)["electricity"]["current_month"]
    assert month["quantity_to_date"] == 20.0 * days
    assert month["projected_quantity"] == 20.0 * month["days_in_month"]
    assert month["budget"]["quantity_used_pct"] == round(20 * days / 300 * 100, 1)
    assert month["budget"]["projected_over_budget"] is True
    cleared = alice.put(BUDGETS, json={"items": []})
    assert cleared.json() == {"items": []}


def test_invalid_budgets_are_422_naming_the_item(alice):
    response = alice.put(
        BUDGETS, json={"items": [{"kind": "gas", "cost_limit_minor": 100}, {"kind": "gas", "quantity_limit": 1}]}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"items.0.currency", "items.1.kind"} <= fields
    assert alice.put(BUDGETS, json={"items": [{"kind": "gas"}]}).status_code == 422


# --- the roll-up equals a recomputation from the raw rows, after any writes --------------

RAW_DAILY = text("""
    SELECT r.kind, g.day::date AS day,
           sum(round(r.quantity / (r.period_end - r.period_start + 1), 12)) AS quantity,
           sum(round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)) AS cost
    FROM consumption_records r,
         generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
    GROUP BY 1, 2
""")
ROLLED_UP = text("""
    SELECT kind, day, sum(quantity) AS quantity, sum(cost_minor) AS cost FROM consumption_daily GROUP BY 1, 2
""")
DAILY_BY_MONTH = text("""
    SELECT kind, date_trunc('month', day)::date, sum(quantity), sum(cost_minor) FROM consumption_daily GROUP BY 1, 2
""")
MONTHLY = text("""
    SELECT kind, month, sum(quantity), sum(cost_minor) FROM consumption_monthly GROUP BY 1, 2
""")

writes = st.lists(
    st.tuples(
        st.sampled_from(["create", "edit", "delete"]),
        st.sampled_from(["electricity", "water", "gas"]),
        st.integers(min_value=0, max_value=10_000_000).map(lambda n: n / 1000),
        st.integers(min_value=0, max_value=800),
        st.integers(min_value=0, max_value=70),
        st.one_of(st.none(), st.integers(min_value=0, max_value=100_000)),
    ),
    min_size=1,
    max_size=12,
)


def _nonzero(rows: Any) -> dict[tuple[str, date], tuple[Decimal, Decimal]]:
    return {(kind, day): (quantity, cost) for kind, day, quantity, cost in rows if quantity or cost}


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(operations=writes)
def test_the_rollup_always_equals_a_recomputation_from_the_records(app, owner_engine, operations):
    from conftest import register_and_login

    with owner_engine.begin() as conn:
        conn.execute(
            text("TRUNCATE consumption_monthly, consumption_daily, consumption_records, users, tenants CASCADE")
        )
    account = register_and_login(app, "prop")
    live: list[dict[str, Any]] = []
    for action, kind, quantity, offset, span, cost in operations:
        start = date(2024, 1, 1) + timedelta(days=offset)
        end = start + timedelta(days=span)
        if action == "create" or not live:
            body: dict[str, Any] = {
                "kind": kind,
                "quantity": quantity,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
            }
            if cost is not None:
                body["cost_minor"] = cost
            live.append(post_record(account, body))
        elif action == "edit":
            target = live.pop(0)
            edited = account.patch(
                f"{API}/consumptions/{target['id']}",
                headers={"If-Match": f'"{target["version"]}"'},
                json={
                    "kind": kind,
                    "quantity": quantity,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "cost_minor": cost,
                },
            )
            assert edited.status_code == 200, edited.text
            live.append(edited.json())
        else:
            target = live.pop()
            deleted = account.delete(
                f"{API}/consumptions/{target['id']}", headers={"If-Match": f'"{target["version"]}"'}
            )
            assert deleted.status_code == 204
    with owner_engine.begin() as conn:
        raw = _nonzero(conn.execute(RAW_DAILY))
        rolled = _nonzero(conn.execute(ROLLED_UP))
        months_from_days = _nonzero(conn.execute(DAILY_BY_MONTH))
        months = _nonzero(conn.execute(MONTHLY))
    assert rolled == raw
    assert months == months_from_days


def test_ranges_mixing_whole_and_partial_months_match_the_day_by_day_totals(alice):
    """Whole months come from the monthly roll-up and the edges from the daily one."""
    record(alice, "water", 90, "2025-01-20", "2025-04-19", cost=9000)  # 90 days, 1 m3 a day
    for start, end, expected in [
        ("2025-01-25", "2025-03-10", 45.0),  # edge + Feb + edge
        ("2025-02-01", "2025-02-28", 28.0),  # one whole month
        ("2025-02-10", "2025-02-20", 11.0),  # inside a month
        ("2025-01-01", "2025-12-31", 90.0),
    ]:  # whole months only
        kinds = by_kind(alice.get(SUMMARY, params={"from": start, "to": end}).json())
        assert kinds["water"]["quantity"] == expected, (start, end)
        assert kinds["water"]["cost"] == [{"currency": "EUR", "cost_minor": int(expected * 100)}]
    series = alice.get(SERIES, params={"interval": "month", "from": "2025-01-25", "to": "2025-04-05"}).json()
    assert [b["values"][0]["quantity"] for b in series["buckets"]] == [7.0, 28.0, 31.0, 5.0]
