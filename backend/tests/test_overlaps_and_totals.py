"""Overlapping records (same owner, kind and meter or none, periods sharing a day) flagged in the
list, filterable and counted for the dashboard; and the list's totals for its filtered set."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from conftest import API, Account, add_member, assert_problem, create_meter, create_record

CONSUMPTIONS = f"{API}/consumptions"
SUMMARY = f"{API}/consumptions/summary"


def listed(account: Account, **params: Any) -> dict[str, dict[str, Any]]:
    response = account.get(CONSUMPTIONS, params=params)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def bill(account: Account, start: str, end: str, **overrides: Any) -> dict[str, Any]:
    return create_record(account, period_start=start, period_end=end, **overrides)


def test_a_bill_and_readings_of_the_same_days_overlap_each_other_and_say_how_many(alice):
    january = bill(alice, "2025-01-01", "2025-01-31")
    first_half = bill(alice, "2025-01-01", "2025-01-15")
    last_day = bill(alice, "2025-01-31", "2025-02-10")
    february = bill(alice, "2025-02-11", "2025-02-28")  # touches none of them
    items = listed(alice)
    assert items[january["id"]]["overlaps"] == 2
    assert items[first_half["id"]]["overlaps"] == 1
    assert items[last_day["id"]]["overlaps"] == 1
    assert items[february["id"]]["overlaps"] == 0
    assert alice.get(f"{CONSUMPTIONS}/{january['id']}").json()["overlaps"] == 2


def test_a_create_and_an_edit_answer_with_the_overlaps_of_the_record_as_written(alice):
    january = bill(alice, "2025-01-01", "2025-01-31")
    assert january["overlaps"] == 0
    second = bill(alice, "2025-01-20", "2025-02-19")
    assert second["overlaps"] == 1
    moved = alice.patch(
        f"{CONSUMPTIONS}/{second['id']}", json={"period_start": "2025-02-01"}, headers={"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["overlaps"] == 0


def test_other_kinds_meters_and_owners_do_not_overlap(app, alice, owner_engine):
    meter = create_meter(alice)
    other_meter = create_meter(alice, name="Garage", identifier="ES-0021-9999")
    plain = bill(alice, "2025-01-01", "2025-01-31")
    water = bill(alice, "2025-01-01", "2025-01-31", kind="water", quantity=4)
    on_meter = bill(alice, "2025-01-01", "2025-01-31", meter_id=meter["id"])
    on_other_meter = bill(alice, "2025-01-01", "2025-01-31", meter_id=other_meter["id"])
    carol = add_member(owner_engine, app, alice, "carol", "member")
    carols = bill(carol, "2025-01-01", "2025-01-31")
    items = listed(alice)
    for record in (plain, water, on_meter, on_other_meter):
        assert items[record["id"]]["overlaps"] == 0, record
    assert listed(carol)[carols["id"]]["overlaps"] == 0
    # Both on the same meter: they do.
    twin = bill(alice, "2025-01-10", "2025-01-12", meter_id=meter["id"])
    assert twin["overlaps"] == 1
    assert listed(alice)[on_meter["id"]]["overlaps"] == 1


def test_a_record_a_year_long_is_found_by_one_starting_at_its_end(alice):
    long = bill(alice, "2024-01-01", "2024-12-31")  # 366 days, the longest period
    last_day = bill(alice, "2024-12-31", "2024-12-31")
    assert last_day["overlaps"] == 1
    assert listed(alice)[long["id"]]["overlaps"] == 1


def test_overlapping_filters_the_list_the_export_and_the_totals_alike(alice):
    january = bill(alice, "2025-01-01", "2025-01-31", cost_minor=1000)
    fortnight = bill(alice, "2025-01-10", "2025-01-24", cost_minor=500)
    alone = bill(alice, "2025-03-01", "2025-03-31", cost_minor=700)
    assert set(listed(alice, overlapping="true")) == {january["id"], fortnight["id"]}
    assert set(listed(alice, overlapping="false")) == {alone["id"]}
    exported = alice.get(f"{CONSUMPTIONS}/export", params={"overlapping": "true"}).text
    assert january["id"] in exported and fortnight["id"] in exported and alone["id"] not in exported
    totals = alice.get(SUMMARY, params={"overlapping": "true"}).json()
    assert totals["records"] == 2
    assert totals["costs"] == [{"currency": "EUR", "cost_minor": 1500}]


def test_the_totals_count_the_records_of_a_range_that_overlap_as_the_dashboard_asks(alice):
    bill(alice, "2025-01-01", "2025-01-31")
    bill(alice, "2025-01-15", "2025-02-14")
    bill(alice, "2025-06-01", "2025-06-30")
    bill(alice, "2025-06-01", "2025-06-30", kind="water", quantity=3)

    def overlapping(**params: Any) -> int:
        response = alice.get(SUMMARY, params={**params, "overlapping": "true"})
        assert response.status_code == 200, response.text
        return int(response.json()["records"])

    assert overlapping(**{"from": "2025-01-01", "to": "2025-12-31"}) == 2
    # A range that reaches only one of the pair still counts it: the list shows the same.
    assert overlapping(**{"from": "2025-02-01", "to": "2025-02-28"}) == 1
    assert len(listed(alice, overlapping="true", **{"from": "2025-02-01", "to": "2025-02-28"})) == 1
    assert overlapping(**{"from": "2025-05-01", "to": "2025-07-31"}) == 0
    assert overlapping(**{"from": "2025-01-01", "to": "2025-12-31", "kind": "water"}) == 0


def test_the_totals_count_the_filtered_records_per_kind_and_currency(alice):
    bill(alice, "2025-01-01", "2025-01-31", quantity=100.5, cost_minor=2000, currency="EUR")
    bill(alice, "2025-02-01", "2025-02-28", quantity=50.25, cost_minor=1000, currency="EUR")
    bill(alice, "2025-02-01", "2025-02-28", quantity=10, cost_minor=900, currency="USD", notes="dollars")
    uncosted = {"kind": "water", "quantity": 3.5, "period_start": "2025-02-01", "period_end": "2025-02-28"}
    assert alice.post(CONSUMPTIONS, json=uncosted).status_code == 201
    bill(alice, "2025-02-01", "2025-02-28", kind="gas", quantity=7)  # VALID_RECORD's cost: 4520 EUR
    everything = alice.get(SUMMARY).json()
    assert everything == {
        "records": 5,
        "quantities": [
            {"kind": "electricity", "unit": "kWh", "quantity": 160.75},
            {"kind": "water", "unit": "m3", "quantity": 3.5},
            {"kind": "gas", "unit": "m3", "quantity": 7.0},
        ],
        "costs": [{"currency": "EUR", "cost_minor": 7520}, {"currency": "USD", "cost_minor": 900}],
        "uncosted_records": 1,
    }
    february = alice.get(SUMMARY, params={"from": "2025-02-01", "kind": "electricity"}).json()
    assert february["records"] == 2
    assert february["quantities"] == [{"kind": "electricity", "unit": "kWh", "quantity": 60.25}]
    searched = alice.get(SUMMARY, params={"q": "DOLL"}).json()
    assert searched["records"] == 1 and searched["costs"] == [{"currency": "USD", "cost_minor": 900}]


def test_the_totals_of_nothing_are_zero_records(alice):
    assert alice.get(SUMMARY).json() == {"records": 0, "quantities": [], "costs": [], "uncosted_records": 0}


def test_the_totals_follow_the_lists_rules_and_scope(app, alice, bob, owner_engine):
    assert_problem(alice.get(SUMMARY, params={"from": "2025-02-01", "to": "2025-01-01"}), 422, "from")
    member = add_member(owner_engine, app, alice, "carol", "member")
    assert_problem(member.get(SUMMARY, params={"scope": "tenant"}), 403)
    bill(member, "2025-01-01", "2025-01-31")
    bill(alice, "2025-01-01", "2025-01-31")
    bill(bob, "2025-01-01", "2025-01-31")
    assert alice.get(SUMMARY).json()["records"] == 1
    assert alice.get(SUMMARY, params={"scope": "tenant"}).json()["records"] == 2
    assert member.get(SUMMARY).json()["records"] == 1
    assert bob.get(SUMMARY).json()["records"] == 1


# The probe reads in three parts (starting within the period, up to 31 days before it, earlier
# long periods): these distances reach each part and its edges.
@pytest.mark.parametrize("days_before", [0, 1, 30, 31, 32, 40, 365])
def test_a_record_still_running_when_another_starts_overlaps_it_however_long_ago_it_began(alice, days_before):
    later_start = date(2025, 6, 1)
    earlier = bill(alice, (later_start - timedelta(days=days_before)).isoformat(), later_start.isoformat())
    later = bill(alice, later_start.isoformat(), later_start.isoformat())
    ended_the_day_before = bill(
        alice,
        (later_start - timedelta(days=days_before + 1)).isoformat(),
        (later_start - timedelta(days=1)).isoformat(),
    )
    assert later["overlaps"] == 1
    items = listed(alice)
    assert items[earlier["id"]]["overlaps"] == 1 + (1 if days_before > 0 else 0)
    assert items[later["id"]]["overlaps"] == 1
    assert set(listed(alice, overlapping="true")) >= {earlier["id"], later["id"]}
    assert items[ended_the_day_before["id"]]["overlaps"] == (1 if days_before > 0 else 0)


def test_the_overlap_count_the_lists_filter_and_each_records_overlaps_agree_with_a_plain_count(alice):
    """Three ways of finding overlaps (the dashboard's count, the list's filter, each record's
    probe) against the definition, on records of two kinds, a meter and none, short and long."""
    import random

    meter = create_meter(alice)
    rng = random.Random(18)
    made = []
    for _ in range(40):
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 300))
        length = rng.choice([0, 0, 1, 9, 30, 31, 32, 45, 120])
        extra = {"kind": rng.choice(["electricity", "water"])}
        if extra["kind"] == "electricity" and rng.random() < 0.5:
            extra["meter_id"] = meter["id"]
        made.append(bill(alice, start.isoformat(), (start + timedelta(days=length)).isoformat(), **extra))

    def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return (
            a["id"] != b["id"]
            and a["kind"] == b["kind"]
            and a["meter_id"] == b["meter_id"]
            and a["period_start"] <= b["period_end"]
            and b["period_start"] <= a["period_end"]
        )

    expected = {r["id"]: sum(overlap(r, other) for other in made) for r in made}
    shown = {}
    for record in made:
        shown[record["id"]] = alice.get(f"{CONSUMPTIONS}/{record['id']}").json()["overlaps"]
    assert shown == expected
    for start, end in [("2025-01-01", "2025-12-31"), ("2025-03-01", "2025-03-31"), ("2025-06-15", "2025-06-15")]:
        in_range = [r for r in made if r["period_end"] >= start and r["period_start"] <= end]
        want = {r["id"] for r in in_range if expected[r["id"]] > 0}
        counted = alice.get(SUMMARY, params={"from": start, "to": end, "overlapping": "true"}).json()["records"]
        listed_ids: set[str] = set()
        cursor = None
        while True:
            params = {
                "from": start,
                "to": end,
                "overlapping": "true",
                "limit": 100,
                **({"cursor": cursor} if cursor else {}),
            }
            page = alice.get(CONSUMPTIONS, params=params).json()
            listed_ids |= {item["id"] for item in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert listed_ids == want, (start, end)
        assert counted == len(want), (start, end)
        water = alice.get(SUMMARY, params={"from": start, "to": end, "kind": "water", "overlapping": "true"}).json()
        assert water["records"] == len([i for i in want if next(r for r in made if r["id"] == i)["kind"] == "water"])
