"""Mobile lines: the billing cycle's status, top-ups and simulated usage (issue 6)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from conftest import API, VALID_LINE, VALID_METER, Account, add_member, assert_problem, create_meter

METERS = f"{API}/meters"
PLAN = VALID_LINE["plan"]


# --- helpers ----------------------------------------------------------------------------------


def line_with(account: Account, identifier: str = "+56912345678", **plan: Any) -> dict[str, Any]:
    """A line of `account` whose plan is VALID_LINE's with `plan` changed."""
    return create_meter(account, **{**VALID_LINE, "identifier": identifier, "plan": {**PLAN, **plan}})


def status_of(account: Account, line_id: str) -> dict[str, Any]:
    response = account.get(f"{METERS}/{line_id}/status")
    assert response.status_code == 200, response.text
    return dict(response.json())


def allowance(status: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(a for a in status["allowances"] if a["kind"] == kind)


def top_up(account: Account, line_id: str, amount: int, **kwargs: Any) -> Any:
    return account.post(f"{METERS}/{line_id}/top-ups", json={"amount_minor": amount}, **kwargs)


def simulate(account: Account, line_id: str, body: dict[str, Any], **kwargs: Any) -> Any:
    return account.post(f"{METERS}/{line_id}/simulate", json=body, **kwargs)


def record_on(
    account: Account, line_id: str, kind: str, quantity: float, start: date, end: date, cost_minor: int = 0
) -> dict[str, Any]:
    response = account.post(
        f"{API}/consumptions",
        json={
            "kind": kind,
            "quantity": quantity,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "cost_minor": cost_minor,
            "meter_id": line_id,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def meter_of(account: Account, meter_id: str) -> dict[str, Any]:
    response = account.get(f"{METERS}/{meter_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def scalar(owner_engine: Engine, tenant_id: str, sql: str, **params: Any) -> Any:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        return conn.execute(text(sql), {"t": tenant_id, **params}).scalar_one()


def count_line_records(owner_engine: Engine, account: Account, line_id: str) -> int:
    return int(
        scalar(
            owner_engine,
            account.tenant_id,
            "SELECT count(*) FROM consumption_records WHERE tenant_id = :t AND meter_id = :m",
            m=line_id,
        )
    )


def today_utc() -> date:
    return datetime.now(ZoneInfo("UTC")).date()


@contextmanager
def service_session(account: Account, role: str = "owner") -> Iterator[tuple[Any, Any]]:
    """A session and caller as the API would make them for `account`, to call the service
    with a `today` of the test's choosing."""
    from consumo.db import TENANT_KEY, session_factory
    from consumo.security.identity import Caller

    session = session_factory()()
    session.info[TENANT_KEY] = uuid.UUID(account.tenant_id)
    caller = Caller(uuid.UUID(account.user_id), uuid.UUID(account.tenant_id), uuid.uuid4(), role, "UTC")
    try:
        yield session, caller
    finally:
        session.rollback()
        session.close()


# --- the billing cycle ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_day", "today", "cycle_start", "cycle_end"),
    [
        (15, date(2025, 3, 20), date(2025, 3, 15), date(2025, 4, 14)),  # today after the start day
        (15, date(2025, 3, 15), date(2025, 3, 15), date(2025, 4, 14)),  # today is the start day
        (15, date(2025, 3, 14), date(2025, 2, 15), date(2025, 3, 14)),  # today before it: last month's cycle
        (1, date(2025, 2, 10), date(2025, 2, 1), date(2025, 2, 28)),
        (1, date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),  # a leap February
        (28, date(2025, 1, 5), date(2024, 12, 28), date(2025, 1, 27)),  # across the new year, backwards
        (5, date(2024, 12, 31), date(2024, 12, 5), date(2025, 1, 4)),  # across the new year, forwards
    ],
)
def test_the_billing_cycle_starts_on_the_plans_day_of_this_or_the_previous_month(
    start_day: int, today: date, cycle_start: date, cycle_end: date
) -> None:
    from consumo.lines.service import billing_cycle

    cycle = billing_cycle(start_day, today)

    assert (cycle.start, cycle.end) == (cycle_start, cycle_end)
    assert cycle.days_elapsed == (today - cycle_start).days + 1
    assert cycle.days_left == (cycle_end - today).days


def test_the_last_day_of_a_cycle_has_no_days_left() -> None:
    from consumo.lines.service import billing_cycle

    cycle = billing_cycle(1, date(2024, 2, 29))

    assert (cycle.days_elapsed, cycle.days_left) == (29, 0)


# --- status ------------------------------------------------------------------------------------


def test_a_new_line_has_its_whole_allowances_left_and_nothing_spent(alice):
    line = create_meter(alice, **VALID_LINE)

    status = status_of(alice, line["id"])

    today = today_utc()
    assert status["meter_id"] == line["id"] and status["identifier"] == "+56912345678"
    assert status["as_of"] == today.isoformat()
    assert status["cycle_start"] == today.replace(day=1).isoformat()
    assert status["days_elapsed"] == today.day
    assert date.fromisoformat(status["cycle_end"]) == date.fromisoformat(status["cycle_start"]) + timedelta(
        days=status["days_elapsed"] + status["days_left"] - 1
    )
    assert [a["kind"] for a in status["allowances"]] == ["mobile_data", "voice", "sms"]
    assert allowance(status, "mobile_data") == {
        "kind": "mobile_data",
        "unit": "MB",
        "included": 10240,
        "used": 0,
        "remaining": 10240,
        "used_pct": 0,
        "runs_out_on": None,
    }
    assert allowance(status, "voice")["unit"] == "min" and allowance(status, "sms")["unit"] == "count"
    assert status["balance_minor"] == 0 and status["currency"] == line["currency"]
    assert status["spent_this_cycle_minor"] == 0 and status["balance_runs_out_on"] is None


def test_status_prorates_records_by_their_days_inside_the_cycle(app, alice):
    from consumo.lines import service

    line = line_with(alice, cycle_start_day=15)
    other_line = line_with(alice, identifier="+56987654321")
    # The cycle of 20 March 2025 runs from 15 March to 14 April (31 days).
    record_on(alice, line["id"], "mobile_data", 100, date(2025, 3, 16), date(2025, 3, 16))  # all of it
    record_on(alice, line["id"], "mobile_data", 1000, date(2025, 3, 10), date(2025, 3, 19), 100)  # 5 of 10 days
    record_on(alice, line["id"], "mobile_data", 200, date(2025, 4, 10), date(2025, 4, 19), 30)  # 5 of 10 days
    record_on(alice, line["id"], "mobile_data", 999, date(2025, 3, 1), date(2025, 3, 14), 99)  # before it
    record_on(alice, line["id"], "mobile_data", 999, date(2025, 4, 15), date(2025, 4, 30), 99)  # after it
    record_on(alice, line["id"], "voice", 10, date(2025, 3, 15), date(2025, 3, 17), 7)
    record_on(alice, other_line["id"], "sms", 50, date(2025, 3, 16), date(2025, 3, 16), 500)  # another line
    unattached = {"kind": "sms", "quantity": 40, "period_start": "2025-03-16", "period_end": "2025-03-16"}
    assert alice.post(f"{API}/consumptions", json=unattached).status_code == 201

    with service_session(alice) as (session, caller):
        status = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 20))

    assert (status.cycle.start, status.cycle.end) == (date(2025, 3, 15), date(2025, 4, 14))
    assert (status.cycle.days_elapsed, status.cycle.days_left) == (6, 25)
    data, voice, sms = status.allowances
    assert (data.used, data.remaining, data.used_pct) == (700, 10240 - 700, 6.8)
    assert data.runs_out_on is None  # 9540 MB at 116.7 MB a day outlast the cycle
    assert (voice.used, voice.remaining, voice.used_pct, voice.runs_out_on) == (10, 290, 3.3, None)
    assert (sms.used, sms.remaining, sms.used_pct, sms.runs_out_on) == (0, 100, 0.0, None)
    assert status.spent_minor == 50 + 15 + 7


def test_an_allowance_runs_out_at_the_pace_so_far_and_a_used_up_one_runs_out_today(app, alice):
    from consumo.lines import service

    line = line_with(alice, cycle_start_day=1, data_mb=1000, voice_minutes=300, sms=100)
    record_on(alice, line["id"], "voice", 200, date(2025, 3, 1), date(2025, 3, 10))  # 20 min a day
    record_on(alice, line["id"], "mobile_data", 1000, date(2025, 3, 2), date(2025, 3, 2))
    record_on(alice, line["id"], "sms", 150, date(2025, 3, 3), date(2025, 3, 3))

    with service_session(alice) as (session, caller):
        status = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 10))

    data, voice, sms = status.allowances
    assert (voice.remaining, voice.runs_out_on) == (100, date(2025, 3, 15))  # 100 min left at 20 a day
    assert (data.remaining, data.used_pct, data.runs_out_on) == (0, 100.0, date(2025, 3, 10))
    assert (sms.used, sms.remaining, sms.used_pct, sms.runs_out_on) == (150, 0, 150.0, date(2025, 3, 10))


def test_an_allowance_with_nothing_included_has_no_percentage_and_never_runs_out(app, alice):
    from consumo.lines import service

    line = line_with(alice, sms=0)
    record_on(alice, line["id"], "sms", 3, date(2025, 3, 3), date(2025, 3, 3))

    with service_session(alice) as (session, caller):
        status = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 10))

    sms = status.allowances[2]
    assert (sms.included, sms.used, sms.remaining, sms.used_pct, sms.runs_out_on) == (0, 3, 0, None, None)


def test_the_balance_runs_out_at_the_cycles_spending_pace_when_that_is_within_the_cycle(app, alice):
    from consumo.lines import service

    line = line_with(alice, cycle_start_day=15)
    record_on(alice, line["id"], "mobile_data", 100, date(2025, 3, 15), date(2025, 3, 20), 57)  # 9.5 a day
    assert top_up(alice, line["id"], 200).status_code == 201

    with service_session(alice) as (session, caller):
        soon = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 20))
    assert top_up(alice, line["id"], 800).status_code == 201
    with service_session(alice) as (session, caller):
        later = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 20))

    assert soon.spent_minor == 57
    assert soon.balance_runs_out_on == date(2025, 3, 20) + timedelta(days=21)  # floor(200 / 9.5)
    assert later.balance_runs_out_on is None  # 1000 lasts 105 days, past 14 April


def test_an_empty_balance_being_spent_runs_out_today(app, alice):
    from consumo.lines import service

    line = line_with(alice)
    record_on(alice, line["id"], "sms", 1, date(2025, 3, 2), date(2025, 3, 2), 5)

    with service_session(alice) as (session, caller):
        status = service.line_status(session, caller, uuid.UUID(line["id"]), today=date(2025, 3, 10))
        balance = status.meter.balance_minor

    assert balance == 0 and status.balance_runs_out_on == date(2025, 3, 10)


def test_status_counts_this_cycles_records_posted_on_the_line(alice):
    line = create_meter(alice, **VALID_LINE)
    today = today_utc()
    record_on(alice, line["id"], "mobile_data", 512.5, today, today, 120)
    record_on(alice, line["id"], "voice", 30, today, today)
    last_cycle = today.replace(day=1) - timedelta(days=1)
    record_on(alice, line["id"], "voice", 99, last_cycle, last_cycle)

    status = status_of(alice, line["id"])

    assert allowance(status, "mobile_data")["used"] == 512.5
    assert allowance(status, "mobile_data")["remaining"] == 10240 - 512.5
    assert allowance(status, "voice")["used"] == 30
    assert status["spent_this_cycle_minor"] == 120


def test_status_is_in_the_tenants_time_zone(alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        with owner_engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": alice.tenant_id})
            conn.execute(text("UPDATE tenants SET time_zone = :z WHERE id = :t"), {"z": zone, "t": alice.tenant_id})

        status = status_of(alice, line["id"])

        assert status["as_of"] == datetime.now(ZoneInfo(zone)).date().isoformat()


# --- top-ups -------------------------------------------------------------------------------------


def test_a_top_up_adds_to_the_balance_and_gives_the_meter_a_new_version(alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)

    first = top_up(alice, line["id"], 500)
    second = top_up(alice, line["id"], 250)

    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["amount_minor"] == 500 and first.json()["balance_minor"] == 500
    assert second.json()["balance_minor"] == 750 and second.json()["currency"] == line["currency"]
    assert first.json()["id"] != second.json()["id"]
    meter = meter_of(alice, line["id"])
    assert meter["balance_minor"] == 750 and meter["version"] == line["version"] + 2
    assert status_of(alice, line["id"])["balance_minor"] == 750
    assert (
        scalar(
            owner_engine,
            alice.tenant_id,
            "SELECT string_agg(balance_after_minor::text, ',' ORDER BY balance_after_minor) "
            "FROM meter_top_ups WHERE tenant_id = :t",
        )
        == "500,750"
    )


def test_a_retried_top_up_with_the_same_idempotency_key_adds_once(alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)
    key = {"Idempotency-Key": "top-up-1"}

    first = top_up(alice, line["id"], 500, headers=key)
    retry = top_up(alice, line["id"], 500, headers=key)
    other_body = top_up(alice, line["id"], 501, headers=key)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert other_body.status_code == 422
    assert meter_of(alice, line["id"])["balance_minor"] == 500
    assert scalar(owner_engine, alice.tenant_id, "SELECT count(*) FROM meter_top_ups WHERE tenant_id = :t") == 1


def test_one_idempotency_key_tops_up_two_lines_separately(alice):
    first_line = create_meter(alice, **VALID_LINE)
    second_line = line_with(alice, identifier="+56987654321")
    key = {"Idempotency-Key": "monthly"}

    assert top_up(alice, first_line["id"], 500, headers=key).status_code == 201
    second = top_up(alice, second_line["id"], 500, headers=key)

    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert meter_of(alice, second_line["id"])["balance_minor"] == 500


def test_top_ups_are_listed_newest_first_in_pages_with_the_balance_each_left(alice, bob):
    line = create_meter(alice, **VALID_LINE)
    other_line = line_with(alice, identifier="+56987654321")
    for amount in (100, 200, 300, 400, 500):
        assert top_up(alice, line["id"], amount).status_code == 201
    assert top_up(alice, other_line["id"], 999).status_code == 201

    pages, cursor = [], None
    while True:
        response = alice.get(f"{METERS}/{line['id']}/top-ups?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.text
        pages.append([(t["amount_minor"], t["balance_minor"]) for t in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == [[(500, 1500), (400, 1000)], [(300, 600), (200, 300)], [(100, 100)]]
    first = alice.get(f"{METERS}/{line['id']}/top-ups").json()["items"][0]
    assert first["currency"] == "EUR" and datetime.fromisoformat(first["created_at"]).tzinfo is not None
    assert_problem(alice.get(f"{METERS}/{line['id']}/top-ups?cursor=not-a-cursor"), 422, "cursor")
    assert alice.get(f"{METERS}/{other_line['id']}/top-ups").json()["items"][0]["amount_minor"] == 999
    assert_problem(bob.get(f"{METERS}/{line['id']}/top-ups"), 404)


@pytest.mark.parametrize("amount", [0, -5, 10_000_001])
def test_a_top_up_outside_its_bounds_is_refused(alice, amount):
    line = create_meter(alice, **VALID_LINE)

    assert top_up(alice, line["id"], amount).status_code == 400
    assert meter_of(alice, line["id"])["balance_minor"] == 0


# --- simulated usage -------------------------------------------------------------------------------


def test_simulated_usage_within_the_allowances_is_free(alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 100).status_code == 201
    version = meter_of(alice, line["id"])["version"]

    response = simulate(alice, line["id"], {"data_mb": 100.25, "voice_minutes": 5, "sms": 2})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cost_minor"] == 0
    today = today_utc().isoformat()
    assert [(r["kind"], r["quantity"], r["cost_minor"]) for r in body["records"]] == [
        ("mobile_data", 100.25, 0),
        ("voice", 5, 0),
        ("sms", 2, 0),
    ]
    assert all(
        r["source"] == "simulation"
        and r["period_start"] == r["period_end"] == today
        and r["owner_id"] == alice.user_id
        and r["currency"] == line["currency"]
        for r in body["records"]
    )
    assert allowance(body["status"], "mobile_data")["used"] == 100.25
    assert allowance(body["status"], "sms")["remaining"] == 98
    assert body["status"]["balance_minor"] == 100
    assert meter_of(alice, line["id"])["version"] == version  # nothing about the meter changed
    assert count_line_records(owner_engine, alice, line["id"]) == 3


def test_simulated_usage_beyond_the_allowances_charges_only_the_overage(alice):
    line = line_with(
        alice,
        data_mb=100,
        voice_minutes=10,
        sms=1,
        data_mb_price_minor=2,
        voice_minute_price_minor=10,
        sms_price_minor=5,
    )
    assert top_up(alice, line["id"], 1000).status_code == 201
    version = meter_of(alice, line["id"])["version"]

    response = simulate(alice, line["id"], {"data_mb": 150.5, "voice_minutes": 12.25, "sms": 3})

    assert response.status_code == 201, response.text
    body = response.json()
    # 50.5 MB × 2 + 2.25 min × 10 + 2 SMS × 5 = 101 + 22.5 + 10 = 133.5, rounded half up
    assert body["cost_minor"] == 134
    costs = {r["kind"]: r["cost_minor"] for r in body["records"]}
    assert costs == {"mobile_data": 101, "voice": 23, "sms": 10}
    assert sum(costs.values()) == body["cost_minor"]
    assert body["status"]["balance_minor"] == 866
    assert allowance(body["status"], "mobile_data")["remaining"] == 0
    meter = meter_of(alice, line["id"])
    assert meter["balance_minor"] == 866 and meter["version"] == version + 1

    more = simulate(alice, line["id"], {"data_mb": 10})  # all of it beyond the allowance now
    assert more.status_code == 201 and more.json()["cost_minor"] == 20
    assert more.json()["status"]["balance_minor"] == 846
    assert more.json()["status"]["spent_this_cycle_minor"] == 154


def test_an_explicit_cost_minor_is_the_whole_charge_and_goes_on_the_first_record(alice):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 100).status_code == 201

    response = simulate(alice, line["id"], {"data_mb": 5, "sms": 1, "cost_minor": 40})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cost_minor"] == 40
    assert [(r["kind"], r["cost_minor"]) for r in body["records"]] == [("mobile_data", 40), ("sms", 0)]
    assert body["status"]["balance_minor"] == 60
    assert body["status"]["spent_this_cycle_minor"] == 40


def test_an_empty_body_records_a_random_burst_free_within_the_allowances(alice):
    line = create_meter(alice, **VALID_LINE)

    response = simulate(alice, line["id"], {})

    assert response.status_code == 201, response.text
    body = response.json()
    records = {r["kind"]: r for r in body["records"]}
    assert 1 <= records["mobile_data"]["quantity"] <= 250
    assert 0 <= records.get("voice", {"quantity": 0})["quantity"] <= 20
    assert 0 <= records.get("sms", {"quantity": 0})["quantity"] <= 5
    assert all(r["source"] == "simulation" and r["quantity"] > 0 for r in body["records"])
    assert body["cost_minor"] == 0 and body["status"]["balance_minor"] == 0


def test_random_bursts_beyond_the_allowances_stop_where_the_balance_runs_out(alice, owner_engine):
    line = line_with(
        alice, data_mb=0, voice_minutes=0, sms=0, data_mb_price_minor=2, voice_minute_price_minor=10, sms_price_minor=5
    )
    assert top_up(alice, line["id"], 300).status_code == 201
    balance, charged = 300, 0

    for _ in range(6):
        response = simulate(alice, line["id"], {})
        if balance == 0:
            assert response.status_code == 422, response.text
            break
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["records"] and 0 <= body["cost_minor"] <= balance
        assert sum(r["cost_minor"] for r in body["records"]) == body["cost_minor"]
        balance -= body["cost_minor"]
        charged += body["cost_minor"]
        assert body["status"]["balance_minor"] == balance >= 0

    assert meter_of(alice, line["id"])["balance_minor"] == 300 - charged >= 0


def test_a_random_burst_with_nothing_free_and_no_balance_is_refused(alice, owner_engine):
    line = line_with(
        alice, data_mb=0, voice_minutes=0, sms=0, data_mb_price_minor=2, voice_minute_price_minor=10, sms_price_minor=5
    )

    response = simulate(alice, line["id"], {})

    assert response.status_code == 422
    assert "insufficient balance" in response.json()["detail"].lower()
    assert count_line_records(owner_engine, alice, line["id"]) == 0


def test_usage_the_balance_cannot_pay_is_refused_and_nothing_is_recorded(alice, owner_engine):
    line = line_with(alice, data_mb=0, data_mb_price_minor=2)
    assert top_up(alice, line["id"], 10).status_code == 201
    before = meter_of(alice, line["id"])

    response = simulate(alice, line["id"], {"data_mb": 6, "sms": 1})

    assert response.status_code == 422
    problem = response.json()
    assert "insufficient balance" in problem["detail"].lower()
    assert "12" in problem["detail"] and "10" in problem["detail"]  # needed and available
    assert problem["errors"][0]["field"] == "balance_minor"
    assert count_line_records(owner_engine, alice, line["id"]) == 0
    after = meter_of(alice, line["id"])
    assert (after["balance_minor"], after["version"]) == (10, before["version"])


def test_an_explicit_cost_beyond_the_balance_is_refused_on_cost_minor(alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 10).status_code == 201

    response = simulate(alice, line["id"], {"sms": 1, "cost_minor": 11})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cost_minor"
    assert count_line_records(owner_engine, alice, line["id"]) == 0
    assert meter_of(alice, line["id"])["balance_minor"] == 10


def test_usage_that_costs_exactly_the_balance_empties_it(alice):
    line = line_with(alice, sms=0, sms_price_minor=5)
    assert top_up(alice, line["id"], 10).status_code == 201

    response = simulate(alice, line["id"], {"sms": 2})

    assert response.status_code == 201, response.text
    assert response.json()["cost_minor"] == 10 and response.json()["status"]["balance_minor"] == 0


@pytest.mark.parametrize(
    "body", [{"data_mb": 0}, {"data_mb": 0, "voice_minutes": 0, "sms": 0}, {"sms": 0, "cost_minor": 5}]
)
def test_usage_of_nothing_is_refused(alice, owner_engine, body):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 10).status_code == 201

    response = simulate(alice, line["id"], body)

    assert response.status_code == 422
    assert count_line_records(owner_engine, alice, line["id"]) == 0
    assert meter_of(alice, line["id"])["balance_minor"] == 10


def test_a_retried_simulation_with_the_same_idempotency_key_records_and_charges_once(alice, owner_engine):
    line = line_with(alice, data_mb=0, data_mb_price_minor=1)
    assert top_up(alice, line["id"], 100).status_code == 201
    key = {"Idempotency-Key": "sim-1"}

    first = simulate(alice, line["id"], {}, headers=key)
    retry = simulate(alice, line["id"], {}, headers=key)

    assert first.status_code == retry.status_code == 201, (first.text, retry.text)
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert count_line_records(owner_engine, alice, line["id"]) == len(first.json()["records"])
    assert meter_of(alice, line["id"])["balance_minor"] == 100 - first.json()["cost_minor"]


def test_simulated_records_appear_in_the_consumption_list_and_the_kpis(alice):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 100).status_code == 201
    simulated = simulate(alice, line["id"], {"data_mb": 42.5, "voice_minutes": 3, "cost_minor": 25})
    assert simulated.status_code == 201, simulated.text
    today = today_utc().isoformat()

    listed = alice.get(f"{API}/consumptions", params={"meter_id": line["id"], "limit": 100})
    summary = alice.get(f"{API}/kpis/summary", params={"from": today, "to": today, "meter_id": line["id"]})

    assert listed.status_code == 200, listed.text
    by_id = {r["id"]: r for r in listed.json()["items"]}
    assert {r["id"] for r in simulated.json()["records"]} <= set(by_id)
    assert all(by_id[r["id"]]["source"] == "simulation" for r in simulated.json()["records"])
    assert summary.status_code == 200, summary.text
    kinds = {k["kind"]: k for k in summary.json()["kinds"]}
    assert kinds["mobile_data"]["quantity"] == 42.5 and kinds["voice"]["quantity"] == 3
    assert kinds["mobile_data"]["cost"] == [{"currency": line["currency"], "cost_minor": 25}]


def test_concurrent_simulations_never_take_the_balance_below_zero(app, alice, owner_engine):
    line = line_with(alice, data_mb=0, data_mb_price_minor=1)
    assert top_up(alice, line["id"], 50).status_code == 201
    threads_count, charge = 8, 10  # the balance pays for 5 of the 8
    barrier = threading.Barrier(threads_count)
    responses: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def spend() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.post(f"{METERS}/{line['id']}/simulate", json={"data_mb": charge}, headers=alice.headers)
            with lock:
                responses.append(response)
        except BaseException as exc:  # surfaced below, in the test's thread
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=spend) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 5 + [422] * 3, [r.text for r in responses]
    charged = sum(r.json()["cost_minor"] for r in responses if r.status_code == 201)
    assert charged == 50
    assert meter_of(alice, line["id"])["balance_minor"] == 50 - charged == 0
    assert count_line_records(owner_engine, alice, line["id"]) == 5
    assert (
        scalar(
            owner_engine,
            alice.tenant_id,
            "SELECT min(balance_minor) FROM meters WHERE tenant_id = :t AND id = :m",
            m=line["id"],
        )
        >= 0
    )


# --- who may do what -----------------------------------------------------------------------------


def _line_operations(account: Account, meter_id: str) -> dict[str, Any]:
    return {
        "status": account.get(f"{METERS}/{meter_id}/status"),
        "top_ups": account.get(f"{METERS}/{meter_id}/top-ups"),
        "top_up": top_up(account, meter_id, 100),
        "simulate": simulate(account, meter_id, {"sms": 1}),
    }


def test_a_meter_that_is_not_a_line_has_no_status_top_ups_or_usage(alice, owner_engine):
    meter = create_meter(alice, **VALID_METER)

    responses = _line_operations(alice, meter["id"])

    assert {name: r.status_code for name, r in responses.items()} == {
        "status": 422,
        "top_ups": 422,
        "top_up": 422,
        "simulate": 422,
    }
    assert all(r.json()["errors"][0]["field"] == "meter_id" for r in responses.values())
    assert scalar(owner_engine, alice.tenant_id, "SELECT count(*) FROM meter_top_ups WHERE tenant_id = :t") == 0
    assert count_line_records(owner_engine, alice, meter["id"]) == 0


def test_another_tenant_cannot_see_or_use_a_line(alice, bob):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 100).status_code == 201

    responses = _line_operations(bob, line["id"])

    assert {name: r.status_code for name, r in responses.items()} == {
        "status": 404,
        "top_ups": 404,
        "top_up": 404,
        "simulate": 404,
    }
    assert meter_of(alice, line["id"])["balance_minor"] == 100


def test_a_member_cannot_see_or_use_another_members_line(app, alice, owner_engine):
    line = create_meter(alice, **VALID_LINE)
    member = add_member(owner_engine, app, alice, "carol", "member")

    responses = _line_operations(member, line["id"])

    assert {name: r.status_code for name, r in responses.items()} == {
        "status": 404,
        "top_ups": 404,
        "top_up": 404,
        "simulate": 404,
    }


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_viewers_and_admins_read_a_line_status_but_cannot_top_up_or_use_it(app, alice, owner_engine, role):
    line = create_meter(alice, **VALID_LINE)
    assert top_up(alice, line["id"], 100).status_code == 201
    assert simulate(alice, line["id"], {"data_mb": 12, "cost_minor": 30}).status_code == 201
    reader = add_member(owner_engine, app, alice, "dora", role)

    responses = _line_operations(reader, line["id"])

    assert {name: r.status_code for name, r in responses.items()} == {
        "status": 200,
        "top_ups": 200,
        "top_up": 403,
        "simulate": 403,
    }
    assert [t["amount_minor"] for t in responses["top_ups"].json()["items"]] == [100]
    status = responses["status"].json()
    assert allowance(status, "mobile_data")["used"] == 12 and status["spent_this_cycle_minor"] == 30
    assert meter_of(alice, line["id"])["balance_minor"] == 70
    assert count_line_records(owner_engine, alice, line["id"]) == 1


def test_a_member_tops_up_and_uses_their_own_line(app, alice, owner_engine):
    member = add_member(owner_engine, app, alice, "carol", "member")
    line = create_meter(member, **VALID_LINE)

    topped = top_up(member, line["id"], 100)
    used = simulate(member, line["id"], {"sms": 1, "cost_minor": 1})

    assert topped.status_code == used.status_code == 201
    assert used.json()["status"]["balance_minor"] == 99
    assert status_of(alice, line["id"])["balance_minor"] == 99  # the owner reads the whole tenant


def test_an_unknown_line_is_not_found(alice):
    responses = _line_operations(alice, str(uuid.uuid4()))

    assert {name: r.status_code for name, r in responses.items()} == {
        "status": 404,
        "top_ups": 404,
        "top_up": 404,
        "simulate": 404,
    }


def test_line_operations_need_authentication(client, alice):
    line = create_meter(alice, **VALID_LINE)
    base = f"{METERS}/{line['id']}"

    assert client.get(f"{base}/status").status_code == 401
    assert client.post(f"{base}/top-ups", json={"amount_minor": 100}).status_code == 401
    assert client.post(f"{base}/simulate", json={}).status_code == 401
    assert meter_of(alice, line["id"])["balance_minor"] == 0


def test_a_tiny_pace_against_a_huge_balance_never_runs_out_within_the_cycle():
    """Found by the fuzzer: the run-out day at such a pace is past any date (was a 500)."""
    from decimal import Decimal

    from consumo.lines.service import _balance_runs_out_on, _runs_out_on, billing_cycle

    cycle = billing_cycle(1, date(2026, 11, 23))
    assert _balance_runs_out_on(cycle, 10**13, Decimal("0.001")) is None
    assert _runs_out_on(cycle, 10**8, Decimal("0.001"), Decimal(10**8)) is None
