"""Meter readings: consecutive readings derive consumption records (`source: reading`),
which follow every insert, correction and deletion of a reading, are priced from the
meter's tariffs, count in the KPIs, and change only through their readings."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from conftest import API, Account, VALID_LINE, add_member, assert_problem, create_meter

METERS = f"{API}/meters"
CONSUMPTIONS = f"{API}/consumptions"


# --- helpers ---------------------------------------------------------------------------------


def readings_url(meter: dict[str, Any]) -> str:
    return f"{METERS}/{meter['id']}/readings"


def reading_url(meter: dict[str, Any], reading: dict[str, Any]) -> str:
    return f"{readings_url(meter)}/{reading['id']}"


def add_reading(account: Account, meter: dict[str, Any], day: str, index: float, **extra: Any) -> dict[str, Any]:
    response = account.post(readings_url(meter), json={"date": day, "index_value": index, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def try_reading(account: Account, meter: dict[str, Any], day: str, index: float, **extra: Any) -> Any:
    return account.post(readings_url(meter), json={"date": day, "index_value": index, **extra})


def readings_of(account: Account, meter: dict[str, Any]) -> list[dict[str, Any]]:
    """All the meter's readings, newest first."""
    response = account.get(readings_url(meter), params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def reading_on(account: Account, meter: dict[str, Any], day: str) -> dict[str, Any]:
    return next(r for r in readings_of(account, meter) if r["date"] == day)


def record(account: Account, record_id: str) -> dict[str, Any]:
    response = account.get(f"{CONSUMPTIONS}/{record_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def derived_records(account: Account, meter: dict[str, Any]) -> list[dict[str, Any]]:
    """The meter's reading-derived records, oldest period first (through the readings)."""
    ids = [r["consumption_id"] for r in reversed(readings_of(account, meter)) if r["consumption_id"]]
    return [record(account, record_id) for record_id in ids]


def periods(account: Account, meter: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(r["period_start"], r["period_end"], r["quantity"]) for r in derived_records(account, meter)]


def patch_reading(
    account: Account, meter: dict[str, Any], reading: dict[str, Any], changes: dict[str, Any], etag: str | None = None
) -> Any:
    return account.patch(
        reading_url(meter, reading), json=changes, headers={"If-Match": etag or f'"{reading["version"]}"'}
    )


def delete_reading(account: Account, meter: dict[str, Any], reading: dict[str, Any]) -> Any:
    return account.delete(reading_url(meter, reading), headers={"If-Match": f'"{reading["version"]}"'})


def count_reading_records(owner_engine: Any, account: Account) -> int:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": account.tenant_id})
        return int(conn.execute(text("SELECT count(*) FROM consumption_records WHERE source = 'reading'")).scalar_one())


# --- derivation ------------------------------------------------------------------------------


def test_two_readings_derive_one_record_from_the_first_day_to_the_day_before_the_second(alice):
    meter = create_meter(alice)
    first = add_reading(alice, meter, "2025-01-01", 1000)
    second = add_reading(alice, meter, "2025-01-11", 1100.5)

    assert first["consumption_id"] is None
    assert second["consumption_id"] is not None
    derived = record(alice, second["consumption_id"])
    assert derived["period_start"] == "2025-01-01" and derived["period_end"] == "2025-01-10"
    assert derived["quantity"] == 100.5
    assert derived["kind"] == "electricity" and derived["unit"] == "kWh"
    assert derived["source"] == "reading"
    assert derived["meter_id"] == meter["id"]
    assert derived["currency"] == meter["currency"]
    assert derived["owner_id"] == alice.user_id
    assert derived["cost_minor"] is None  # the meter has no tariff yet
    assert [r["consumption_id"] for r in readings_of(alice, meter)] == [second["consumption_id"], None]


def test_three_readings_derive_two_consecutive_records(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-11", 1100)
    add_reading(alice, meter, "2025-02-01", 1250.25)

    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 100.0), ("2025-01-11", "2025-01-31", 150.25)]


def test_readings_entered_out_of_order_derive_the_same_records(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-02-01", 1250)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-11", 1100)

    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 100.0), ("2025-01-11", "2025-01-31", 150.0)]


def test_a_reading_inserted_between_two_splits_their_record(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-21", 1200)
    before = record(alice, last["consumption_id"])

    middle = add_reading(alice, meter, "2025-01-11", 1150)

    after = record(alice, reading_on(alice, meter, "2025-01-21")["consumption_id"])
    assert after["id"] == before["id"]  # the later reading's record is changed in place
    assert (after["period_start"], after["period_end"], after["quantity"]) == ("2025-01-11", "2025-01-20", 50.0)
    assert after["version"] == before["version"] + 1
    new = record(alice, middle["consumption_id"])
    assert (new["period_start"], new["period_end"], new["quantity"]) == ("2025-01-01", "2025-01-10", 150.0)


def test_correcting_an_index_changes_the_records_on_both_sides_and_no_other(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    corrected = add_reading(alice, meter, "2025-01-11", 1100)
    add_reading(alice, meter, "2025-01-21", 1200)
    add_reading(alice, meter, "2025-01-31", 1300)
    untouched = derived_records(alice, meter)[2]

    response = patch_reading(alice, meter, corrected, {"index_value": 1120})

    assert response.status_code == 200, response.text
    assert response.json()["index_value"] == 1120
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert periods(alice, meter) == [
        ("2025-01-01", "2025-01-10", 120.0),
        ("2025-01-11", "2025-01-20", 80.0),
        ("2025-01-21", "2025-01-30", 100.0),
    ]
    assert derived_records(alice, meter)[2] == untouched


def test_moving_a_reading_to_another_day_derives_the_records_around_its_new_place(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    moved = add_reading(alice, meter, "2025-01-11", 1100)
    add_reading(alice, meter, "2025-01-21", 1200)

    response = patch_reading(alice, meter, moved, {"date": "2025-01-16", "index_value": 1150})

    assert response.status_code == 200, response.text
    assert response.json()["consumption_id"] == moved["consumption_id"]
    assert periods(alice, meter) == [("2025-01-01", "2025-01-15", 150.0), ("2025-01-16", "2025-01-20", 50.0)]


def test_moving_a_reading_past_its_neighbour_reorders_the_records(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    moved = add_reading(alice, meter, "2025-01-11", 1100)
    overtaken = add_reading(alice, meter, "2025-01-21", 1200)

    response = patch_reading(alice, meter, moved, {"date": "2025-01-25", "index_value": 1250})

    assert response.status_code == 200, response.text
    assert periods(alice, meter) == [("2025-01-01", "2025-01-20", 200.0), ("2025-01-21", "2025-01-24", 50.0)]
    assert record(alice, overtaken["consumption_id"])["period_start"] == "2025-01-01"
    assert record(alice, moved["consumption_id"])["period_start"] == "2025-01-21"


def test_deleting_a_middle_reading_merges_its_two_records(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    middle = add_reading(alice, meter, "2025-01-11", 1100)
    last = add_reading(alice, meter, "2025-01-21", 1200)

    response = delete_reading(alice, meter, middle)

    assert response.status_code == 204, response.text
    assert [r["date"] for r in readings_of(alice, meter)] == ["2025-01-21", "2025-01-01"]
    assert alice.get(f"{CONSUMPTIONS}/{middle['consumption_id']}").status_code == 404
    merged = record(alice, last["consumption_id"])
    assert (merged["period_start"], merged["period_end"], merged["quantity"]) == ("2025-01-01", "2025-01-20", 200.0)


def test_deleting_the_last_reading_removes_its_record(alice, owner_engine):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-11", 1100)
    last = add_reading(alice, meter, "2025-01-21", 1200)

    assert delete_reading(alice, meter, last).status_code == 204

    assert alice.get(f"{CONSUMPTIONS}/{last['consumption_id']}").status_code == 404
    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 100.0)]
    assert count_reading_records(owner_engine, alice) == 1


def test_deleting_the_first_reading_removes_the_record_of_the_second(alice, owner_engine):
    meter = create_meter(alice)
    first = add_reading(alice, meter, "2025-01-01", 1000)
    second = add_reading(alice, meter, "2025-01-11", 1100)

    assert delete_reading(alice, meter, first).status_code == 204

    assert alice.get(f"{CONSUMPTIONS}/{second['consumption_id']}").status_code == 404
    assert readings_of(alice, meter)[0]["consumption_id"] is None
    assert count_reading_records(owner_engine, alice) == 0


def test_equal_indexes_derive_a_record_of_zero(alice):
    meter = create_meter(alice, kind="water", identifier="W-1")
    add_reading(alice, meter, "2025-01-01", 50)
    add_reading(alice, meter, "2025-01-11", 50)

    [derived] = derived_records(alice, meter)
    assert derived["quantity"] == 0 and derived["kind"] == "water" and derived["unit"] == "m3"


# --- rules -----------------------------------------------------------------------------------


def test_an_index_lower_than_the_previous_reading_is_rejected(alice, owner_engine):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)

    assert_problem(try_reading(alice, meter, "2025-01-11", 999.999), 422, "index_value")
    assert len(readings_of(alice, meter)) == 1
    assert count_reading_records(owner_engine, alice) == 0


def test_a_replacement_with_the_old_meters_final_index_derives_its_last_consumption(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    swapped = add_reading(alice, meter, "2025-01-11", 5, replacement=True, replaced_meter_final_index=1080)
    add_reading(alice, meter, "2025-01-21", 25)

    assert swapped["replacement"] is True and swapped["replaced_meter_final_index"] == 1080
    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 80.0), ("2025-01-11", "2025-01-20", 20.0)]


def test_a_replacement_without_a_final_index_derives_no_record_for_the_days_before_it(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    swapped = add_reading(alice, meter, "2025-01-11", 5, replacement=True)
    add_reading(alice, meter, "2025-01-21", 25)

    assert swapped["consumption_id"] is None
    assert swapped["replaced_meter_final_index"] is None
    assert periods(alice, meter) == [("2025-01-11", "2025-01-20", 20.0)]


def test_a_replaced_meters_final_index_below_the_previous_reading_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)

    response = try_reading(alice, meter, "2025-01-11", 5, replacement=True, replaced_meter_final_index=900)

    assert_problem(response, 422, "replaced_meter_final_index")


def test_a_final_index_without_a_replacement_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)

    assert_problem(
        try_reading(alice, meter, "2025-01-11", 1100, replaced_meter_final_index=1100),
        422,
        "replaced_meter_final_index",
    )


def test_turning_a_replacement_off_drops_its_final_index(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    swapped = add_reading(alice, meter, "2025-01-11", 1090, replacement=True, replaced_meter_final_index=1080)

    response = patch_reading(alice, meter, swapped, {"replacement": False})

    assert response.status_code == 200, response.text
    assert response.json()["replaced_meter_final_index"] is None
    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 90.0)]
    assert_problem(
        patch_reading(alice, meter, response.json(), {"replaced_meter_final_index": 1080}),
        422,
        "replaced_meter_final_index",
    )


def test_inserting_a_reading_above_the_next_one_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-21", 1200)

    assert_problem(try_reading(alice, meter, "2025-01-11", 1201), 422, "index_value")
    assert periods(alice, meter) == [("2025-01-01", "2025-01-20", 200.0)]


def test_raising_an_index_above_the_next_reading_is_rejected(alice):
    meter = create_meter(alice)
    first = add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-11", 1100)

    assert_problem(patch_reading(alice, meter, first, {"index_value": 1100.001}), 422, "index_value")
    assert reading_on(alice, meter, "2025-01-01")["version"] == 1
    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 100.0)]


def test_a_reading_may_be_above_the_next_one_when_the_next_is_a_replacement(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-21", 10, replacement=True)

    inserted = add_reading(alice, meter, "2025-01-11", 1100)

    assert inserted["consumption_id"] is not None
    assert periods(alice, meter) == [("2025-01-01", "2025-01-10", 100.0)]


def test_an_inserted_reading_above_the_next_replacements_final_index_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-21", 10, replacement=True, replaced_meter_final_index=1200)

    assert_problem(try_reading(alice, meter, "2025-01-11", 1250), 422, "index_value")


def test_deleting_a_replacement_that_would_leave_the_index_going_down_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    swapped = add_reading(alice, meter, "2025-01-11", 5, replacement=True)
    add_reading(alice, meter, "2025-01-21", 25)

    assert_problem(delete_reading(alice, meter, swapped), 422)
    assert len(readings_of(alice, meter)) == 3
    assert periods(alice, meter) == [("2025-01-11", "2025-01-20", 20.0)]


def test_two_readings_on_the_same_day_conflict(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    other = add_reading(alice, meter, "2025-01-11", 1100)

    assert_problem(try_reading(alice, meter, "2025-01-01", 1000), 409, "date")
    assert_problem(patch_reading(alice, meter, other, {"date": "2025-01-01"}), 409, "date")
    assert len(readings_of(alice, meter)) == 2


def test_the_same_day_on_another_meter_is_no_conflict(alice):
    home, cabin = create_meter(alice), create_meter(alice, identifier="ES-0099")
    add_reading(alice, home, "2025-01-01", 1000)

    assert try_reading(alice, cabin, "2025-01-01", 1000).status_code == 201


def test_a_reading_dated_after_today_is_rejected(alice):
    meter = create_meter(alice)
    tomorrow_anywhere = (date.today() + timedelta(days=2)).isoformat()

    assert_problem(try_reading(alice, meter, tomorrow_anywhere, 1000), 422, "date")
    past = add_reading(alice, meter, "2025-01-01", 1000)
    assert_problem(patch_reading(alice, meter, past, {"date": tomorrow_anywhere}), 422, "date")


def test_a_reading_dated_today_is_accepted(alice):
    meter = create_meter(alice)
    today = datetime.now(UTC).date().isoformat()  # the tenant's time zone is UTC

    assert try_reading(alice, meter, today, 1000).status_code == 201


def test_consecutive_readings_more_than_366_days_apart_are_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2024-01-01", 1000)

    assert_problem(try_reading(alice, meter, "2025-01-02", 2000), 422, "date")
    add_reading(alice, meter, "2025-01-01", 2000)  # 366 days: a leap year's record
    assert periods(alice, meter) == [("2024-01-01", "2024-12-31", 1000.0)]


def test_deleting_a_reading_that_would_leave_readings_too_far_apart_is_rejected(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2024-01-01", 1000)
    middle = add_reading(alice, meter, "2024-07-01", 1500)
    add_reading(alice, meter, "2025-03-01", 2000)

    assert_problem(delete_reading(alice, meter, middle), 422)
    assert len(readings_of(alice, meter)) == 3


def test_an_unknown_reading_is_404(alice):
    meter = create_meter(alice)
    missing = {"id": "00000000-0000-4000-8000-000000000000", "version": 1}

    assert_problem(patch_reading(alice, meter, missing, {"index_value": 1}), 404)
    assert_problem(delete_reading(alice, meter, missing), 404)


def test_a_reading_of_one_meter_is_not_reached_through_another(alice):
    home, cabin = create_meter(alice), create_meter(alice, identifier="ES-0099")
    reading = add_reading(alice, home, "2025-01-01", 1000)

    assert_problem(patch_reading(alice, cabin, reading, {"index_value": 1}), 404)
    assert_problem(delete_reading(alice, cabin, reading), 404)


def test_a_mobile_line_takes_no_readings(alice):
    line = create_meter(alice, **VALID_LINE)

    assert_problem(try_reading(alice, line, "2025-01-01", 1000), 422)
    assert_problem(alice.get(readings_url(line)), 422)


# --- pricing, KPIs, and records that follow their readings ----------------------------------


def add_tariff(account: Account, meter: dict[str, Any], **body: Any) -> None:
    response = account.post(f"{METERS}/{meter['id']}/tariffs", json=body)
    assert response.status_code == 201, response.text


def test_a_derived_record_is_priced_from_the_meters_tariffs(alice):
    meter = create_meter(alice)
    add_tariff(alice, meter, valid_from="2025-01-01", unit_price_minor=20, fixed_daily_minor=5)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)

    derived = record(alice, last["consumption_id"])
    # 100 kWh × 20 + 10 days × 5
    assert derived["cost_minor"] == 2050
    assert derived["cost_from_tariff"] is True


def test_a_tariff_added_after_the_readings_reprices_their_record(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)
    unpriced = record(alice, last["consumption_id"])
    assert unpriced["cost_minor"] is None

    add_tariff(alice, meter, valid_from="2024-12-01", unit_price_minor=20, fixed_daily_minor=5)

    priced = record(alice, last["consumption_id"])
    assert priced["cost_minor"] == 2050
    assert priced["version"] == unpriced["version"] + 1


def test_a_corrected_reading_reprices_its_record(alice):
    meter = create_meter(alice)
    add_tariff(alice, meter, valid_from="2025-01-01", unit_price_minor=20, fixed_daily_minor=5)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)

    assert patch_reading(alice, meter, last, {"index_value": 1150}).status_code == 200

    assert record(alice, last["consumption_id"])["cost_minor"] == 150 * 20 + 10 * 5


def test_derived_records_count_in_the_kpi_summary(alice):
    meter = create_meter(alice)
    add_tariff(alice, meter, valid_from="2025-01-01", unit_price_minor=20, fixed_daily_minor=5)
    add_reading(alice, meter, "2025-01-01", 1000)
    add_reading(alice, meter, "2025-01-11", 1100)
    add_reading(alice, meter, "2025-01-21", 1160)

    response = alice.get(f"{API}/kpis/summary", params={"from": "2025-01-01", "to": "2025-01-31"})

    assert response.status_code == 200, response.text
    [electricity] = response.json()["kinds"]
    assert electricity["kind"] == "electricity"
    assert electricity["quantity"] == 160
    assert electricity["records"] == 2
    assert electricity["cost"] == [{"currency": meter["currency"], "cost_minor": 2050 + 60 * 20 + 10 * 5}]


def test_a_deleted_reading_leaves_the_kpi_summary(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)

    assert delete_reading(alice, meter, last).status_code == 204

    response = alice.get(f"{API}/kpis/summary", params={"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200, response.text
    assert response.json()["kinds"] == []


def test_a_derived_record_cannot_be_edited_or_deleted_through_consumptions(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)
    url = f"{CONSUMPTIONS}/{last['consumption_id']}"
    etag = alice.get(url).headers["ETag"]

    assert_problem(alice.patch(url, json={"quantity": 1}, headers={"If-Match": etag}), 422)
    assert_problem(alice.delete(url, headers={"If-Match": etag}), 422)
    assert record(alice, last["consumption_id"])["quantity"] == 100


def test_deleting_a_meter_keeps_its_derived_records_detached(alice):
    meter = create_meter(alice)
    add_reading(alice, meter, "2025-01-01", 1000)
    last = add_reading(alice, meter, "2025-01-11", 1100)
    etag = alice.get(f"{METERS}/{meter['id']}").headers["ETag"]

    assert alice.delete(f"{METERS}/{meter['id']}", headers={"If-Match": etag}).status_code == 204

    kept = record(alice, last["consumption_id"])
    assert kept["meter_id"] is None and kept["quantity"] == 100


# --- HTTP: creation, preconditions, pages ----------------------------------------------------


def test_entering_a_reading_answers_201_with_its_location_and_etag(alice):
    meter = create_meter(alice)

    response = alice.post(readings_url(meter), json={"date": "2025-01-01", "index_value": 12.345})

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{readings_url(meter)}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["meter_id"] == meter["id"] and body["date"] == "2025-01-01"
    assert body["index_value"] == 12.345 and body["replacement"] is False and body["version"] == 1


def test_a_retried_idempotency_key_replays_the_first_reading(alice):
    meter = create_meter(alice)
    headers = {"Idempotency-Key": "reading-1"}
    body = {"date": "2025-01-01", "index_value": 1000}

    first = alice.post(readings_url(meter), json=body, headers=headers)
    retry = alice.post(readings_url(meter), json=body, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(readings_of(alice, meter)) == 1
    assert_problem(alice.post(readings_url(meter), json={**body, "index_value": 1}, headers=headers), 422)


def test_correcting_a_reading_needs_if_match(alice):
    meter = create_meter(alice)
    reading = add_reading(alice, meter, "2025-01-01", 1000)

    assert_problem(alice.patch(reading_url(meter, reading), json={"index_value": 1}), 428)
    assert_problem(alice.delete(reading_url(meter, reading)), 428)


def test_a_stale_etag_is_refused_with_412(alice):
    meter = create_meter(alice)
    reading = add_reading(alice, meter, "2025-01-01", 1000)
    assert patch_reading(alice, meter, reading, {"index_value": 1001}).status_code == 200

    assert_problem(patch_reading(alice, meter, reading, {"index_value": 1002}), 412)
    assert_problem(delete_reading(alice, meter, reading), 412)
    assert readings_of(alice, meter)[0]["index_value"] == 1001


def test_readings_are_listed_newest_first_in_pages(alice):
    meter = create_meter(alice)
    days = [f"2025-01-{day:02d}" for day in (1, 5, 9, 13, 17)]
    for index, day in enumerate(days):
        add_reading(alice, meter, day, 1000 + index)

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = alice.get(readings_url(meter), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [r["date"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(days))


def test_a_cursor_the_list_did_not_issue_is_422(alice):
    meter = create_meter(alice)

    assert_problem(alice.get(readings_url(meter), params={"cursor": "bm90LWEtY3Vyc29y"}), 422, "cursor")
    assert_problem(alice.get(readings_url(meter), params={"cursor": "eyJkIjoiMjAyNS0xMy0wMSJ9"}), 422)


def test_concurrent_readings_on_one_meter_derive_consistent_records(app, alice):
    meter = create_meter(alice)
    days = [f"2025-01-{day:02d}" for day in (1, 4, 7, 10, 13, 16)]
    barrier = threading.Barrier(len(days))
    statuses: list[int] = []
    lock = threading.Lock()

    def enter(index: int, day: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post(
            readings_url(meter), json={"date": day, "index_value": 1000 + 10 * index}, headers=alice.headers
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=enter, args=(i, d)) for i, d in enumerate(days)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [201] * len(days)
    assert [p[2] for p in periods(alice, meter)] == [10.0] * (len(days) - 1)


# --- who reaches which readings --------------------------------------------------------------


def every_readings_call(account: Account, meter: dict[str, Any], reading: dict[str, Any]) -> list[Any]:
    return [
        account.get(readings_url(meter)),
        account.post(readings_url(meter), json={"date": "2025-01-21", "index_value": 5000}),
        patch_reading(account, meter, reading, {"index_value": 5000}),
        delete_reading(account, meter, reading),
    ]


def test_another_tenant_gets_404_on_every_readings_endpoint_of_a_meter(alice, bob):
    meter = create_meter(alice)
    reading = add_reading(alice, meter, "2025-01-01", 1000)

    for response in every_readings_call(bob, meter, reading):
        assert_problem(response, 404)
    assert readings_of(alice, meter) == [reading]


def test_a_member_cannot_reach_another_members_meter_readings(app, alice, owner_engine):
    meter = create_meter(alice)
    reading = add_reading(alice, meter, "2025-01-01", 1000)
    member = add_member(owner_engine, app, alice, "carol", "member")

    for response in every_readings_call(member, meter, reading):
        assert_problem(response, 404)
    assert readings_of(alice, meter) == [reading]


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_a_tenant_reader_can_list_readings_but_not_change_them(app, alice, owner_engine, role):
    meter = create_meter(alice)
    reading = add_reading(alice, meter, "2025-01-01", 1000)
    reader = add_member(owner_engine, app, alice, f"reader-{role}", role)

    listed, *writes = every_readings_call(reader, meter, reading)

    assert listed.status_code == 200 and listed.json()["items"] == [reading]
    for response in writes:
        assert_problem(response, 403)
    assert readings_of(alice, meter) == [reading]
