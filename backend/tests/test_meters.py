"""Meters and mobile lines: identifiers, plans, visibility, records on meters, tariffs and
the bill-accurate costs they give, and KPIs per meter."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from conftest import API, VALID_LINE, VALID_METER, add_member, assert_problem, create_meter, create_record

METERS, RECORDS = f"{API}/meters", f"{API}/consumptions"


def tariff(account: Any, meter: dict[str, Any], valid_from: str, unit: float, fixed: float = 0) -> Any:
    response = account.post(
        f"{METERS}/{meter['id']}/tariffs",
        json={"valid_from": valid_from, "unit_price_minor": unit, "fixed_daily_minor": fixed},
    )
    assert response.status_code == 201, response.text
    return response.json()


def record_on(account: Any, meter: dict[str, Any], quantity: float, start: str, end: str, **extra: Any) -> Any:
    body = {
        "kind": extra.pop("kind", "electricity"),
        "quantity": quantity,
        "period_start": start,
        "period_end": end,
        "meter_id": meter["id"],
        **extra,
    }
    response = account.post(RECORDS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def read(account: Any, record: dict[str, Any]) -> Any:
    response = account.get(f"{RECORDS}/{record['id']}")
    assert response.status_code == 200
    return response.json()


# --- meters ------------------------------------------------------------------------------------


def test_a_meter_is_created_with_the_tenants_currency_and_no_plan(alice):
    meter = create_meter(alice)
    assert meter["kind"] == "electricity" and meter["identifier"] == VALID_METER["identifier"]
    assert meter["currency"] == "EUR" and meter["plan"] is None and meter["balance_minor"] is None
    assert meter["version"] == 1 and meter["owner_id"] == alice.user_id


def test_a_mobile_line_starts_with_its_plan_and_a_zero_balance(alice):
    line = create_meter(alice, **VALID_LINE)
    assert line["plan"] == VALID_LINE["plan"]
    assert line["balance_minor"] == 0


def test_overage_prices_default_to_zero(alice):
    plan = {"data_mb": 1000, "voice_minutes": 10, "sms": 5, "cycle_start_day": 3}
    line = create_meter(alice, **{**VALID_LINE, "plan": plan})
    assert line["plan"] == {**plan, "data_mb_price_minor": 0, "voice_minute_price_minor": 0, "sms_price_minor": 0}


@pytest.mark.parametrize("number", ["56912345678", "+0912345678", "+5691234", "+999123456789", "+56 9 1234 5678"])
def test_a_mobile_line_needs_a_possible_e164_number(alice, number):
    response = alice.post(METERS, json={**VALID_LINE, "identifier": number})
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


def test_a_line_without_a_plan_and_a_meter_with_one_are_refused_by_the_contract(alice):
    # MeterCreate is a oneOf discriminated by `kind`: the errors are those of the variant named.
    assert_problem(alice.post(METERS, json={k: v for k, v in VALID_LINE.items() if k != "plan"}), 400, "plan")
    assert_problem(alice.post(METERS, json={**VALID_METER, "plan": VALID_LINE["plan"]}), 400, "plan")
    # `plan: null` gets past the contract's validator (a nullable schema under allOf) but not the
    # contract's generated model: a 422 on the field.
    assert_problem(alice.post(METERS, json={**VALID_LINE, "plan": None}), 422, "plan")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID_METER, "kind": "steam"}, "kind"),
        ({"name": "No kind", "identifier": "X-1"}, "kind"),
        ({**VALID_LINE, "identifier": "56912345678"}, "identifier"),
        ({**VALID_LINE, "plan": {**VALID_LINE["plan"], "sms": -1}}, "plan.sms"),
    ],
)
def test_a_meter_of_the_wrong_shape_names_the_field_of_the_kind_it_claims(alice, body, field):
    response = alice.post(METERS, json=body)

    problem = assert_problem(response, 400, field)
    assert [error["field"] for error in problem["errors"]] == [field]


def test_an_identifier_is_unique_per_kind_in_the_tenant(alice, owner_engine, app):
    create_meter(alice, **VALID_LINE)
    assert_problem(alice.post(METERS, json={**VALID_LINE, "name": "Again"}), 409, "identifier")
    colleague = add_member(owner_engine, app, alice, "carla", "member")
    assert_problem(colleague.post(METERS, json=VALID_LINE), 409, "identifier")
    # A gas meter may carry the same serial as an electricity meter.
    create_meter(alice, kind="gas", name="Gas")


def test_another_tenant_may_use_the_same_number(alice, bob):
    create_meter(alice, **VALID_LINE)
    assert create_meter(bob, **VALID_LINE)["identifier"] == VALID_LINE["identifier"]


def test_a_line_is_found_by_its_number_even_with_an_unencoded_plus(alice):
    line = create_meter(alice, **VALID_LINE)
    create_meter(alice, **{**VALID_LINE, "identifier": "+34612345678", "name": "Spain"})
    for query in ("identifier=%2B56912345678", "identifier=+56912345678"):
        found = alice.get(f"{METERS}?{query}").json()["items"]
        assert [m["id"] for m in found] == [line["id"]], query


def test_meters_are_listed_by_name_in_pages(alice):
    for name in ("Zeta", "alpha", "Beta"):
        create_meter(alice, name=name, identifier=f"SN-{name}")
    first = alice.get(f"{METERS}?limit=2").json()
    second = alice.get(f"{METERS}?limit=2&cursor={first['next_cursor']}").json()
    assert [m["name"] for m in first["items"] + second["items"]] == sorted(["Zeta", "alpha", "Beta"])
    assert second["next_cursor"] is None
    assert_problem(alice.get(f"{METERS}?cursor=bm9wZQ"), 422, "cursor")


def test_a_meter_is_edited_with_if_match(alice):
    meter = create_meter(alice)
    url = f"{METERS}/{meter['id']}"
    assert_problem(alice.patch(url, json={"name": "Office"}), 428)
    assert_problem(alice.patch(url, json={"name": "Office"}, headers={"If-Match": '"9"'}), 412)
    edited = alice.patch(url, json={"name": "Office", "monthly_budget_minor": 5000}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.json()["name"] == "Office" and edited.json()["monthly_budget_minor"] == 5000
    assert edited.headers["ETag"] == '"2"'


def test_kind_and_currency_cannot_be_changed(alice):
    meter = create_meter(alice)
    for change in ({"kind": "gas"}, {"currency": "USD"}):
        assert_problem(alice.patch(f"{METERS}/{meter['id']}", json=change, headers={"If-Match": "*"}), 400)


def test_a_lines_plan_can_change_but_not_be_removed(alice):
    line = create_meter(alice, **VALID_LINE)
    url = f"{METERS}/{line['id']}"
    assert_problem(alice.patch(url, json={"plan": None}, headers={"If-Match": "*"}), 422, "plan")
    plan = {**VALID_LINE["plan"], "data_mb": 20480}
    assert alice.patch(url, json={"plan": plan}, headers={"If-Match": "*"}).json()["plan"]["data_mb"] == 20480


def test_deleting_a_meter_keeps_its_records_detached_with_their_costs(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 20)
    record = record_on(alice, meter, 100, "2025-01-01", "2025-01-10")
    assert record["cost_minor"] == 2000
    deleted = alice.delete(f"{METERS}/{meter['id']}", headers={"If-Match": '"1"'})
    assert deleted.status_code == 204
    kept = read(alice, record)
    assert kept["meter_id"] is None and kept["cost_minor"] == 2000 and kept["cost_from_tariff"] is False
    assert alice.get(f"{METERS}/{meter['id']}").status_code == 404
    summary = alice.get(f"{API}/kpis/summary?from=2025-01-01&to=2025-01-31").json()
    assert summary["kinds"][0]["quantity"] == 100


# --- visibility ----------------------------------------------------------------------------------


def test_members_see_only_their_meters_and_admins_may_list_the_tenants(alice, owner_engine, app):
    mine = create_meter(alice)
    member = add_member(owner_engine, app, alice, "marta", "member")
    admin = add_member(owner_engine, app, alice, "adri", "admin")
    assert member.get(METERS).json()["items"] == []
    assert member.get(f"{METERS}/{mine['id']}").status_code == 404
    assert_problem(member.get(f"{METERS}?scope=tenant"), 403)
    assert [m["id"] for m in admin.get(f"{METERS}?scope=tenant").json()["items"]] == [mine["id"]]
    assert admin.get(f"{METERS}/{mine['id']}").status_code == 200
    assert_problem(admin.patch(f"{METERS}/{mine['id']}", json={"name": "x"}, headers={"If-Match": "*"}), 403)


def test_a_viewer_cannot_add_meters(alice, owner_engine, app):
    viewer = add_member(owner_engine, app, alice, "vera", "viewer")
    assert_problem(viewer.post(METERS, json=VALID_METER), 403)


# --- records on meters ---------------------------------------------------------------------------


def test_a_record_may_go_only_on_ones_own_meter_of_a_compatible_kind(alice, bob, owner_engine, app):
    water = create_meter(alice, kind="water", name="Water", identifier="W-1")
    line = create_meter(alice, **VALID_LINE)
    body = {"kind": "electricity", "quantity": 5, "period_start": "2025-01-01", "period_end": "2025-01-01"}
    assert_problem(alice.post(RECORDS, json={**body, "meter_id": water["id"]}), 422, "meter_id")
    assert alice.post(RECORDS, json={**body, "kind": "water", "meter_id": water["id"]}).status_code == 201
    for kind in ("mobile_data", "voice", "sms"):
        assert alice.post(RECORDS, json={**body, "kind": kind, "meter_id": line["id"]}).status_code == 201
    # Another tenant's meter, and a colleague's, are "no such meter" — never a hint they exist.
    assert_problem(bob.post(RECORDS, json={**body, "kind": "water", "meter_id": water["id"]}), 422, "meter_id")
    colleague = add_member(owner_engine, app, alice, "colin", "member")
    assert_problem(colleague.post(RECORDS, json={**body, "kind": "water", "meter_id": water["id"]}), 422, "meter_id")


def test_changing_a_records_kind_must_still_fit_its_meter(alice):
    meter = create_meter(alice)
    record = record_on(alice, meter, 5, "2025-01-01", "2025-01-01")
    assert_problem(
        alice.patch(f"{RECORDS}/{record['id']}", json={"kind": "gas"}, headers={"If-Match": "*"}), 422, "meter_id"
    )
    detached = alice.patch(f"{RECORDS}/{record['id']}", json={"meter_id": None}, headers={"If-Match": "*"})
    assert detached.status_code == 200 and detached.json()["meter_id"] is None


def test_records_are_listed_by_meter(alice, bob):
    home, office = create_meter(alice), create_meter(alice, name="Office", identifier="OF-1")
    at_home = record_on(alice, home, 1, "2025-01-01", "2025-01-01")
    record_on(alice, office, 2, "2025-01-01", "2025-01-01")
    create_record(alice)
    listed = alice.get(f"{RECORDS}?meter_id={home['id']}").json()["items"]
    assert [r["id"] for r in listed] == [at_home["id"]]
    assert_problem(bob.get(f"{RECORDS}?meter_id={home['id']}"), 422, "meter_id")


def test_kpis_filter_by_meter(alice, bob):
    home, office = create_meter(alice), create_meter(alice, name="Office", identifier="OF-1")
    record_on(alice, home, 31, "2025-01-01", "2025-01-31", cost_minor=3100)
    record_on(alice, office, 62, "2025-01-01", "2025-01-31", cost_minor=6200)
    create_record(alice, quantity=1000, period_start="2025-01-01", period_end="2025-01-31")
    span = "from=2025-01-01&to=2025-01-31"
    everything = alice.get(f"{API}/kpis/summary?{span}").json()["kinds"][0]
    at_home = alice.get(f"{API}/kpis/summary?{span}&meter_id={home['id']}").json()["kinds"][0]
    assert everything["quantity"] == 1093 and at_home["quantity"] == 31 and at_home["cost"][0]["cost_minor"] == 3100
    series = alice.get(f"{API}/kpis/timeseries?interval=day&{span}&meter_id={office['id']}").json()
    assert {b["values"][0]["quantity"] for b in series["buckets"]} == {2}
    shares = alice.get(f"{API}/kpis/breakdown?{span}&meter_id={office['id']}").json()["kinds"]
    assert [(s["kind"], s["quantity"]) for s in shares] == [("electricity", 62)]
    assert_problem(bob.get(f"{API}/kpis/summary?{span}&meter_id={home['id']}"), 422, "meter_id")


def test_moving_a_record_to_another_meter_moves_it_in_the_kpis(alice):
    home, office = create_meter(alice), create_meter(alice, name="Office", identifier="OF-1")
    record = record_on(alice, home, 10, "2025-01-01", "2025-01-10", cost_minor=100)
    alice.patch(f"{RECORDS}/{record['id']}", json={"meter_id": office["id"]}, headers={"If-Match": "*"})
    span = "from=2025-01-01&to=2025-01-31"
    assert alice.get(f"{API}/kpis/summary?{span}&meter_id={home['id']}").json()["kinds"] == []
    assert alice.get(f"{API}/kpis/summary?{span}&meter_id={office['id']}").json()["kinds"][0]["quantity"] == 10


def meter_budget(account: Any, meter: dict[str, Any], extra: str = "") -> Any:
    response = account.get(f"{API}/kpis/summary?from=2025-01-01&to=2025-01-31&meter_id={meter['id']}{extra}")
    assert response.status_code == 200, response.text
    return response.json()["meter_budget"]


def test_a_meters_budget_compares_its_cost_this_month_over_every_kind_with_the_limit(alice):
    line = create_meter(alice, **VALID_LINE, monthly_budget_minor=10_000)
    empty = meter_budget(alice, line)
    month_start, elapsed, days_in_month = (
        date.fromisoformat(empty["month_start"]),
        empty["days_elapsed"],
        empty["days_in_month"],
    )
    today = month_start + timedelta(days=elapsed - 1)
    assert empty == {
        "meter_id": line["id"],
        "currency": "EUR",
        "limit_minor": 10_000,
        "month_start": month_start.isoformat(),
        "days_elapsed": elapsed,
        "days_in_month": days_in_month,
        "cost_to_date_minor": 0,
        "projected_cost_minor": 0,
        "used_pct": 0.0,
        "projected_over_budget": False,
    }
    # 40 a day of data and 60 a day of calls so far this month; last month's bill does not count.
    record_on(alice, line, 1, month_start.isoformat(), today.isoformat(), kind="mobile_data", cost_minor=40 * elapsed)
    record_on(alice, line, 1, month_start.isoformat(), today.isoformat(), kind="voice", cost_minor=60 * elapsed)
    record_on(
        alice,
        line,
        1,
        (month_start - timedelta(days=5)).isoformat(),
        (month_start - timedelta(days=1)).isoformat(),
        kind="sms",
        cost_minor=99_999,
    )

    progress = meter_budget(alice, line)
    assert progress["cost_to_date_minor"] == 100 * elapsed
    assert progress["projected_cost_minor"] == 100 * days_in_month
    assert progress["used_pct"] == round(elapsed, 1)  # 100 × elapsed of 10,000
    assert progress["projected_over_budget"] is False
    # A kind filter narrows the kinds listed, not the meter's budget.
    assert meter_budget(alice, line, "&kind=voice") == progress

    alice.patch(f"{METERS}/{line['id']}", json={"monthly_budget_minor": 2_000}, headers={"If-Match": "*"})
    tight = meter_budget(alice, line)
    assert tight["limit_minor"] == 2_000 and tight["projected_over_budget"] is True  # 2,800 or more
    assert tight["used_pct"] == round(100 * elapsed / 20, 1)


def test_the_meter_budget_is_null_without_a_meter_or_a_budget_and_counts_tariff_costs(alice):
    plain = create_meter(alice)
    assert meter_budget(alice, plain) is None
    summary = alice.get(f"{API}/kpis/summary?from=2025-01-01&to=2025-01-31").json()
    assert summary["meter_budget"] is None

    priced = create_meter(alice, name="Office", identifier="OF-9", monthly_budget_minor=500)
    month_start = date.fromisoformat(meter_budget(alice, priced)["month_start"])
    tariff(alice, priced, (month_start - timedelta(days=40)).isoformat(), 10, fixed=0)
    record = record_on(alice, priced, 7, month_start.isoformat(), month_start.isoformat())
    assert record["cost_minor"] == 70 and record["cost_from_tariff"] is True
    progress = meter_budget(alice, priced)
    assert progress["cost_to_date_minor"] == 70 and progress["used_pct"] == 14.0


def test_only_a_meter_the_caller_can_read_has_its_budget_reported(alice, bob):
    line = create_meter(alice, **VALID_LINE, monthly_budget_minor=1_000)
    response = bob.get(f"{API}/kpis/summary?from=2025-01-01&to=2025-01-31&meter_id={line['id']}")
    assert_problem(response, 422, "meter_id")
    assert "1000" not in response.text and "1,000" not in response.text


# --- tariffs and bill-accurate costs ------------------------------------------------------------


def test_a_record_without_a_cost_is_priced_from_the_tariff_with_its_fixed_charge(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 15.5, fixed=25)
    record = record_on(alice, meter, 100, "2025-01-01", "2025-01-10")
    # 100 kWh × 15.5 + 10 days × 25 = 1550 + 250
    assert record["cost_minor"] == 1800 and record["cost_from_tariff"] is True and record["currency"] == "EUR"


def test_a_period_across_a_tariff_change_is_split_by_days(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 10, fixed=1)
    tariff(alice, meter, "2025-01-21", 20, fixed=2)
    record = record_on(alice, meter, 310, "2025-01-15", "2025-02-14")
    # 31 days, 10 kWh a day: 6 days at the first (60 kWh × 10 + 6 × 1) and 25 at the second
    # (250 kWh × 20 + 25 × 2) = 606 + 5050.
    assert record["cost_minor"] == 5656


def test_a_period_across_the_month_end_costs_the_same_as_its_parts(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2024-01-01", 12.3456, fixed=3.3333)
    whole = record_on(alice, meter, 62, "2024-01-31", "2024-03-01")  # 31 days over a leap February
    assert whole["cost_minor"] == round(62 * 12.3456 + 31 * 3.3333)


def test_an_explicit_cost_wins_and_clearing_it_returns_to_the_tariff(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 10)
    record = record_on(alice, meter, 10, "2025-01-01", "2025-01-01", cost_minor=999)
    assert record["cost_minor"] == 999 and record["cost_from_tariff"] is False
    cleared = alice.patch(f"{RECORDS}/{record['id']}", json={"cost_minor": None}, headers={"If-Match": "*"}).json()
    assert cleared["cost_minor"] == 100 and cleared["cost_from_tariff"] is True
    edited = alice.patch(f"{RECORDS}/{record['id']}", json={"quantity": 20}, headers={"If-Match": "*"}).json()
    assert edited["cost_minor"] == 200


def test_a_day_before_the_first_tariff_leaves_the_record_unpriced_until_a_tariff_covers_it(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-10", 10)
    record = record_on(alice, meter, 10, "2025-01-05", "2025-01-14")
    assert record["cost_minor"] is None and record["cost_from_tariff"] is True
    tariff(alice, meter, "2025-01-01", 20)
    repriced = read(alice, record)
    # 5 days at 20 and 5 at 10, 1 kWh a day.
    assert repriced["cost_minor"] == 150 and repriced["version"] == 2


def test_adding_and_removing_a_tariff_reprices_the_records_it_covers_only(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 10)
    january = record_on(alice, meter, 10, "2025-01-01", "2025-01-10")
    march = record_on(alice, meter, 10, "2025-03-01", "2025-03-10")
    fixed = record_on(alice, meter, 10, "2025-03-01", "2025-03-10", cost_minor=1)
    spring = tariff(alice, meter, "2025-02-01", 30)
    assert read(alice, january)["cost_minor"] == 100 and read(alice, january)["version"] == 1
    assert read(alice, march)["cost_minor"] == 300
    assert read(alice, fixed)["cost_minor"] == 1
    assert alice.get(f"{API}/kpis/summary?from=2025-03-01&to=2025-03-31").json()["kinds"][0]["cost"] == [
        {"currency": "EUR", "cost_minor": 301}
    ]
    removed = alice.delete(f"{METERS}/{meter['id']}/tariffs/{spring['id']}")
    assert removed.status_code == 204
    assert read(alice, march)["cost_minor"] == 100


def test_tariffs_are_listed_newest_first_in_pages_and_a_day_has_one(alice):
    meter = create_meter(alice)
    for day in ("2025-01-01", "2025-03-01", "2025-02-01"):
        tariff(alice, meter, day, 10)
    assert_problem(
        alice.post(f"{METERS}/{meter['id']}/tariffs", json={"valid_from": "2025-02-01", "unit_price_minor": 1}),
        409,
        "valid_from",
    )
    first = alice.get(f"{METERS}/{meter['id']}/tariffs?limit=2").json()
    rest = alice.get(f"{METERS}/{meter['id']}/tariffs?limit=2&cursor={first['next_cursor']}").json()
    assert [t["valid_from"] for t in first["items"] + rest["items"]] == ["2025-03-01", "2025-02-01", "2025-01-01"]
    assert first["items"][0]["currency"] == "EUR" and rest["next_cursor"] is None


def test_mobile_lines_take_no_tariffs(alice):
    line = create_meter(alice, **VALID_LINE)
    response = alice.post(f"{METERS}/{line['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 1})
    assert_problem(response, 422)


def test_tariff_prices_are_exact_to_four_decimals(alice):
    meter = create_meter(alice)
    response = alice.post(
        f"{METERS}/{meter['id']}/tariffs", json={"valid_from": "2025-01-01", "unit_price_minor": 0.00001}
    )
    assert_problem(response, 400)


def test_only_the_owner_manages_a_meters_tariffs(alice, bob, owner_engine, app):
    meter = create_meter(alice)
    admin = add_member(owner_engine, app, alice, "ada", "admin")
    body = {"valid_from": "2025-01-01", "unit_price_minor": 1}
    assert_problem(admin.post(f"{METERS}/{meter['id']}/tariffs", json=body), 403)
    assert admin.get(f"{METERS}/{meter['id']}/tariffs").status_code == 200
    assert_problem(bob.post(f"{METERS}/{meter['id']}/tariffs", json=body), 404)
    assert_problem(bob.get(f"{METERS}/{meter['id']}/tariffs"), 404)


# --- idempotent creates ------------------------------------------------------------------------


def test_a_retried_meter_create_replays_the_first_answer(alice):
    key = {"Idempotency-Key": "meter-create-1"}
    first = alice.post(METERS, json=VALID_METER, headers=key)
    again = alice.post(METERS, json=VALID_METER, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(alice.get(METERS).json()["items"]) == 1
    assert_problem(alice.post(METERS, json={**VALID_METER, "name": "Other"}, headers=key), 422, "Idempotency-Key")


def test_the_same_key_on_two_meters_adds_a_tariff_to_each(alice):
    home, office = create_meter(alice), create_meter(alice, name="Office", identifier="OF-1")
    body, key = {"valid_from": "2025-01-01", "unit_price_minor": 10}, {"Idempotency-Key": "tariff-1"}
    for meter in (home, office):
        response = alice.post(f"{METERS}/{meter['id']}/tariffs", json=body, headers=key)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    for meter in (home, office):
        assert len(alice.get(f"{METERS}/{meter['id']}/tariffs").json()["items"]) == 1


def test_a_price_beyond_any_real_bill_leaves_the_record_unpriced(alice):
    meter = create_meter(alice)
    tariff(alice, meter, "2025-01-01", 1000000)
    record = record_on(alice, meter, 999999999, "2025-01-01", "2025-01-01")
    assert record["cost_minor"] is None and record["cost_from_tariff"] is True
