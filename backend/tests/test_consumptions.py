"""Consumption records through the API: create, read, edit with ETags, delete, period rules,
keyset-paginated lists with their filters, and idempotent creates."""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text

from conftest import API, Account, VALID_RECORD, add_member, assert_problem, create_meter, create_record

CONSUMPTIONS = f"{API}/consumptions"
SORTS = ["-period_start", "period_start", "-created_at", "created_at"]


# --- helpers ---------------------------------------------------------------------------------


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def url_of(record: dict[str, Any]) -> str:
    return f"{CONSUMPTIONS}/{record['id']}"


def stored_row(owner_engine: Engine, tenant_id: str, record_id: str) -> dict[str, Any] | None:
    """The record as the database holds it, read behind the API (scoped, so it also works
    when the owner role is not a superuser)."""
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        row = conn.execute(text("SELECT * FROM consumption_records WHERE id = :i"), {"i": record_id}).mappings().first()
    return dict(row) if row else None


def count_records(owner_engine: Engine, tenant_id: str) -> int:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        return int(
            conn.execute(
                text("SELECT count(*) FROM consumption_records WHERE tenant_id = :t"), {"t": tenant_id}
            ).scalar_one()
        )


def list_ids(account: Account, **params: Any) -> list[str]:
    response = account.get(CONSUMPTIONS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["id"] for item in response.json()["items"]]


def walk_pages(account: Account, **params: Any) -> list[list[str]]:
    """Every page of a list, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = account.get(CONSUMPTIONS, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


def cursor_of(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


# --- create ----------------------------------------------------------------------------------


def test_create_returns_201_with_location_etag_and_server_made_fields(alice):
    response = alice.post(CONSUMPTIONS, json=VALID_RECORD)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{CONSUMPTIONS}/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert uuid.UUID(body["id"])
    assert body["version"] == 1
    assert body["source"] == "manual"
    assert body["unit"] == "kWh"
    assert body["owner_id"] == alice.user_id
    assert body["created_at"] == body["updated_at"]
    for field in ("kind", "quantity", "period_start", "period_end", "cost_minor", "currency", "notes"):
        assert body[field] == VALID_RECORD[field]
    assert "Idempotent-Replayed" not in response.headers


def test_created_record_is_readable_at_its_location(alice):
    created = alice.post(CONSUMPTIONS, json=VALID_RECORD)

    response = alice.get(created.headers["Location"])

    assert response.status_code == 200
    assert response.json() == created.json()


@pytest.mark.parametrize(
    ("kind", "unit"),
    [
        ("electricity", "kWh"),
        ("water", "m3"),
        ("gas", "m3"),
        ("mobile_data", "MB"),
        ("voice", "min"),
        ("sms", "count"),
    ],
)
def test_unit_is_derived_from_kind(alice, kind, unit):
    record = create_record(alice, kind=kind)

    assert record["unit"] == unit
    assert alice.get(url_of(record)).json()["unit"] == unit


def test_currency_defaults_to_the_tenants_currency_when_omitted(alice):
    body = {key: value for key, value in VALID_RECORD.items() if key != "currency"}

    response = alice.post(CONSUMPTIONS, json=body)

    assert response.status_code == 201, response.text
    assert response.json()["currency"] == "EUR"


def test_omitted_currency_follows_a_changed_tenant_default(alice, owner_engine):
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": alice.tenant_id})
        conn.execute(text("UPDATE tenants SET default_currency = 'USD' WHERE id = :t"), {"t": alice.tenant_id})
    body = {key: value for key, value in VALID_RECORD.items() if key != "currency"}

    response = alice.post(CONSUMPTIONS, json=body)

    assert response.status_code == 201, response.text
    assert response.json()["currency"] == "USD"


def test_explicit_currency_wins_over_the_tenant_default(alice):
    assert create_record(alice, currency="GBP")["currency"] == "GBP"


def test_optional_fields_may_be_omitted_and_come_back_null(alice):
    response = alice.post(
        CONSUMPTIONS, json={"kind": "water", "quantity": 3, "period_start": "2025-05-01", "period_end": "2025-05-31"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cost_minor"] is None
    assert body["notes"] is None
    assert body["quantity"] == 3


@pytest.mark.parametrize(
    "quantity",
    [0, 0.001, 0.3, 1.005, 123.456, 4503.999, 9394981.483, 76384005.614, 605320001.81, 999999999.999, 1000000000],
)
def test_quantity_with_up_to_three_decimals_round_trips_exactly(alice, owner_engine, quantity):
    record = create_record(alice, quantity=quantity)

    assert record["quantity"] == quantity
    assert alice.get(url_of(record)).json()["quantity"] == quantity
    stored = stored_row(owner_engine, alice.tenant_id, record["id"])
    assert stored is not None
    assert stored["quantity"] == Decimal(str(quantity)).quantize(Decimal("0.001"))


@pytest.mark.parametrize("quantity", [9394981.483, 999999999.999])
def test_large_three_decimal_quantities_are_served_by_list_and_patch(alice, quantity):
    record = create_record(alice, quantity=1)

    patched = alice.patch(url_of(record), json={"quantity": quantity}, headers={"If-Match": '"1"'})
    listed = alice.get(CONSUMPTIONS)

    assert patched.status_code == 200, patched.text
    assert patched.json()["quantity"] == quantity
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"][0]["quantity"] == quantity


def test_the_earliest_and_latest_accepted_days_are_stored(alice):
    first = create_record(alice, period_start="2000-01-01", period_end="2000-01-01")
    last = create_record(alice, period_start="2100-12-01", period_end="2100-12-31")

    assert (first["period_start"], first["period_end"]) == ("2000-01-01", "2000-01-01")
    assert (last["period_start"], last["period_end"]) == ("2100-12-01", "2100-12-31")


# --- read ------------------------------------------------------------------------------------


def test_get_returns_the_record_with_its_etag(alice):
    record = create_record(alice)

    response = alice.get(url_of(record))

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json() == record


def test_get_of_an_unknown_id_is_404(alice):
    assert_problem(alice.get(f"{CONSUMPTIONS}/{uuid.uuid4()}"), 404)


# --- update ----------------------------------------------------------------------------------


def test_patch_with_the_current_etag_updates_and_bumps_the_version(alice):
    record = create_record(alice)

    response = alice.patch(url_of(record), json={"quantity": 200.5, "notes": "corrected"}, headers={"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    body = response.json()
    assert body["version"] == 2
    assert body["quantity"] == 200.5
    assert body["notes"] == "corrected"
    for untouched in (
        "kind",
        "unit",
        "period_start",
        "period_end",
        "cost_minor",
        "currency",
        "owner_id",
        "created_at",
        "source",
    ):
        assert body[untouched] == record[untouched]
    assert body["updated_at"] > record["updated_at"]
    fetched = alice.get(url_of(record))
    assert fetched.headers["ETag"] == '"2"'
    assert fetched.json() == body


def test_successive_patches_each_need_the_latest_etag(alice):
    record = create_record(alice)
    first = alice.patch(url_of(record), json={"notes": "one"}, headers={"If-Match": '"1"'})

    second = alice.patch(url_of(record), json={"notes": "two"}, headers={"If-Match": first.headers["ETag"]})

    assert second.status_code == 200, second.text
    assert second.json()["version"] == 3
    assert second.headers["ETag"] == '"3"'


def test_patch_without_if_match_is_428_and_changes_nothing(alice, owner_engine):
    record = create_record(alice)

    response = alice.patch(url_of(record), json={"notes": "sneaky"})

    assert_problem(response, 428)
    stored = stored_row(owner_engine, alice.tenant_id, record["id"])
    assert stored is not None
    assert (stored["notes"], stored["version"]) == ("January bill", 1)


@pytest.mark.parametrize("if_match", ['"1"', '"99"', "garbage", '""'])
def test_patch_with_a_stale_or_unknown_if_match_is_412_and_changes_nothing(alice, if_match):
    record = create_record(alice)
    alice.patch(url_of(record), json={"notes": "first edit"}, headers={"If-Match": '"1"'})

    response = alice.patch(url_of(record), json={"notes": "lost update"}, headers={"If-Match": if_match})

    assert_problem(response, 412)
    current = alice.get(url_of(record))
    assert current.json()["notes"] == "first edit"
    assert current.headers["ETag"] == '"2"'


def test_patch_with_null_clears_notes_and_cost(alice):
    record = create_record(alice)

    response = alice.patch(url_of(record), json={"notes": None, "cost_minor": None}, headers={"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.json()["notes"] is None
    assert response.json()["cost_minor"] is None
    assert response.json()["quantity"] == record["quantity"]


def test_patch_of_kind_changes_the_unit(alice):
    record = create_record(alice, kind="electricity")

    response = alice.patch(url_of(record), json={"kind": "gas"}, headers={"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert (response.json()["kind"], response.json()["unit"]) == ("gas", "m3")


def test_patch_may_move_both_ends_of_the_period_at_once(alice):
    record = create_record(alice, period_start="2025-01-01", period_end="2025-01-31")

    response = alice.patch(
        url_of(record), json={"period_start": "2025-06-01", "period_end": "2025-06-30"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["period_start"], response.json()["period_end"]) == ("2025-06-01", "2025-06-30")


@pytest.mark.parametrize(
    "changes",
    [
        {"period_end": "2024-12-31"},  # now ends before it starts
        {"period_start": "2025-02-01"},  # likewise, from the other end
        {"period_end": "2026-01-02"},  # now 367 days
        {"period_start": "2024-12-30", "period_end": "2024-12-29"},
    ],
)
def test_patch_that_makes_the_period_invalid_is_422_and_changes_nothing(alice, changes):
    record = create_record(alice, period_start="2025-01-01", period_end="2025-01-31")

    response = alice.patch(url_of(record), json=changes, headers={"If-Match": '"1"'})

    body = assert_problem(response, 422)
    assert "period_end" in error_fields(body)
    current = alice.get(url_of(record))
    assert current.json() == record
    assert current.headers["ETag"] == '"1"'


# --- delete ----------------------------------------------------------------------------------


def test_delete_without_if_match_is_428_and_keeps_the_record(alice):
    record = create_record(alice)

    assert_problem(alice.delete(url_of(record)), 428)
    assert alice.get(url_of(record)).status_code == 200


def test_delete_with_a_stale_if_match_is_412_and_keeps_the_record(alice):
    record = create_record(alice)
    alice.patch(url_of(record), json={"notes": "edited"}, headers={"If-Match": '"1"'})

    assert_problem(alice.delete(url_of(record), headers={"If-Match": '"1"'}), 412)
    assert alice.get(url_of(record)).json()["notes"] == "edited"


def test_delete_with_the_current_etag_is_204_and_the_record_is_gone(alice, owner_engine):
    record = create_record(alice)

    response = alice.delete(url_of(record), headers={"If-Match": '"1"'})

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(alice.get(url_of(record)), 404)
    assert stored_row(owner_engine, alice.tenant_id, record["id"]) is None
    assert_problem(alice.delete(url_of(record), headers={"If-Match": '"1"'}), 404)


# --- period rules ----------------------------------------------------------------------------


def test_period_ending_before_it_starts_is_422_naming_period_end(alice, owner_engine):
    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, "period_start": "2025-02-01", "period_end": "2025-01-31"})

    body = assert_problem(response, 422)
    assert error_fields(body) == ["period_end"]
    assert count_records(owner_engine, alice.tenant_id) == 0


def test_a_one_day_period_is_accepted(alice):
    record = create_record(alice, period_start="2025-03-15", period_end="2025-03-15")

    assert record["period_start"] == record["period_end"] == "2025-03-15"


def test_a_period_of_exactly_366_days_in_a_leap_year_is_accepted(alice):
    record = create_record(alice, period_start="2024-01-01", period_end="2024-12-31")

    assert (record["period_start"], record["period_end"]) == ("2024-01-01", "2024-12-31")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-01-01", "2025-01-01"),  # 367 days, over a leap year
        ("2025-01-01", "2026-01-02"),  # 367 days
        ("2000-01-01", "2100-12-31"),
    ],
)
def test_a_period_longer_than_366_days_is_422(alice, owner_engine, start, end):
    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, "period_start": start, "period_end": end})

    body = assert_problem(response, 422)
    assert "period_end" in error_fields(body)
    assert count_records(owner_engine, alice.tenant_id) == 0


# --- lists: order and pagination --------------------------------------------------------------


def test_list_is_newest_period_first_by_default(alice):
    march = create_record(alice, period_start="2025-03-01", period_end="2025-03-31")
    january = create_record(alice, period_start="2025-01-01", period_end="2025-01-31")
    february = create_record(alice, period_start="2025-02-01", period_end="2025-02-28")

    response = alice.get(CONSUMPTIONS)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [march["id"], february["id"], january["id"]]
    assert response.json()["next_cursor"] is None


def test_an_empty_list_has_no_items_and_no_cursor(alice):
    response = alice.get(CONSUMPTIONS)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def _seven_records_with_ties(alice: Account, owner_engine: Engine) -> dict[str, dict[str, Any]]:
    """Seven records whose period_start and created_at both repeat, so ties must be broken by id."""
    starts = ["2025-03-01", "2025-01-01", "2025-03-01", "2025-02-01", "2025-03-01", "2025-01-01", "2025-04-01"]
    base = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    created = [
        base,
        base + timedelta(seconds=1),
        base,
        base + timedelta(seconds=2),
        base + timedelta(seconds=1),
        base,
        base + timedelta(seconds=3),
    ]
    records: dict[str, dict[str, Any]] = {}
    for start, created_at in zip(starts, created, strict=True):
        record = create_record(
            alice, period_start=start, period_end=(date.fromisoformat(start) + timedelta(days=27)).isoformat()
        )
        with owner_engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": alice.tenant_id})
            conn.execute(
                text("UPDATE consumption_records SET created_at = :c WHERE id = :i"),
                {"c": created_at, "i": record["id"]},
            )
        records[record["id"]] = {"period_start": date.fromisoformat(start), "created_at": created_at}
    return records


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_through_all_records_in_order_without_duplicates_or_gaps(alice, owner_engine, sort):
    records = _seven_records_with_ties(alice, owner_engine)
    column = sort.lstrip("-")
    expected = sorted(records, key=lambda rid: (records[rid][column], uuid.UUID(rid)), reverse=sort.startswith("-"))

    pages = walk_pages(alice, sort=sort, limit=2)

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    seen = [record_id for page in pages for record_id in page]
    assert seen == expected
    assert len(set(seen)) == 7


@pytest.mark.parametrize("sort", SORTS)
def test_items_carry_the_values_they_are_sorted_by(alice, owner_engine, sort):
    _seven_records_with_ties(alice, owner_engine)
    column = sort.lstrip("-")

    items = alice.get(CONSUMPTIONS, params={"sort": sort, "limit": 100}).json()["items"]

    keys = [
        (item[column] if column == "period_start" else datetime.fromisoformat(item[column]), uuid.UUID(item["id"]))
        for item in items
    ]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_a_page_holding_exactly_the_rest_has_no_next_cursor(alice):
    create_record(alice)
    create_record(alice)

    response = alice.get(CONSUMPTIONS, params={"limit": 2})

    assert len(response.json()["items"]) == 2
    assert response.json()["next_cursor"] is None


def test_pages_neither_repeat_nor_skip_when_a_seen_record_is_deleted_mid_walk(alice):
    ids = [
        create_record(alice, period_start=f"2025-0{month}-01", period_end=f"2025-0{month}-28")["id"]
        for month in range(1, 8)
    ]
    first = alice.get(CONSUMPTIONS, params={"limit": 3}).json()
    assert first["items"][0]["id"] == ids[-1]
    alice.delete(f"{CONSUMPTIONS}/{first['items'][0]['id']}", headers={"If-Match": '"1"'})

    rest = walk_pages(alice, limit=3, cursor=first["next_cursor"])

    seen = [item["id"] for item in first["items"]] + [rid for page in rest for rid in page]
    assert seen == list(reversed(ids))


def test_pagination_keeps_the_filters(alice):
    for _ in range(3):
        create_record(alice, kind="water")
    create_record(alice, kind="gas")

    pages = walk_pages(alice, kind="water", limit=2)

    assert [len(page) for page in pages] == [2, 1]


# --- lists: filters --------------------------------------------------------------------------


def test_kind_filter_lists_only_that_kind(alice):
    water = create_record(alice, kind="water")
    create_record(alice, kind="electricity")
    sms = create_record(alice, kind="sms")

    assert list_ids(alice, kind="water") == [water["id"]]
    assert list_ids(alice, kind="sms") == [sms["id"]]
    assert list_ids(alice, kind="voice") == []


def test_source_filter_lists_only_records_from_that_source(alice):
    manual = create_record(alice, kind="electricity")
    meter = create_meter(alice)
    for day, index in (("2025-01-01", 100), ("2025-02-01", 250)):
        response = alice.post(f"{API}/meters/{meter['id']}/readings", json={"date": day, "index_value": index})
        assert response.status_code == 201, response.text

    derived = list_ids(alice, source="reading")
    assert len(derived) == 1 and derived != [manual["id"]]
    assert list_ids(alice, source="manual") == [manual["id"]]
    assert list_ids(alice, source="simulation") == []
    assert list_ids(alice, source="reading", kind="water") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"from": "2025-01-31"}, ["mar", "feb", "jan"]),  # jan ends on `from`: included
        ({"from": "2025-02-01"}, ["mar", "feb"]),
        ({"from": "2025-04-01"}, []),
        ({"to": "2025-02-01"}, ["feb", "jan"]),  # feb starts on `to`: included
        ({"to": "2024-12-31"}, []),
        ({"from": "2025-02-15", "to": "2025-02-15"}, ["feb"]),  # inside one period only
        ({"from": "2025-01-31", "to": "2025-03-01"}, ["mar", "feb", "jan"]),
        ({"from": "2025-02-28", "to": "2025-02-28"}, ["feb"]),
    ],
)
def test_from_and_to_select_records_whose_period_overlaps_the_range(alice, params, expected):
    ids = {
        "jan": create_record(alice, period_start="2025-01-01", period_end="2025-01-31")["id"],
        "feb": create_record(alice, period_start="2025-02-01", period_end="2025-02-28")["id"],
        "mar": create_record(alice, period_start="2025-03-01", period_end="2025-03-31")["id"],
    }

    assert list_ids(alice, **params) == [ids[name] for name in expected]


def test_from_after_to_is_422(alice):
    # The contract: a request matching the schema but breaking a rule it cannot express is a 422.
    body = assert_problem(alice.get(CONSUMPTIONS, params={"from": "2025-03-01", "to": "2025-02-01"}), 422)

    assert "from" in error_fields(body)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("bill", ["January BILL", "water bill"]),
        ("BILL", ["January BILL", "water bill"]),
        ("%", ["100% green"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("nothing like this", []),
    ],
)
def test_q_matches_notes_case_insensitively_with_wildcards_taken_literally(alice, q, expected):
    by_notes = {}
    for notes in ["January BILL", "water bill", "100% green", "a_b", "axb", "back\\slash"]:
        by_notes[notes] = create_record(alice, notes=notes)["id"]
    alice.post(CONSUMPTIONS, json={k: v for k, v in VALID_RECORD.items() if k != "notes"})

    assert sorted(list_ids(alice, q=q)) == sorted(by_notes[notes] for notes in expected)


def test_filters_combine(alice):
    wanted = create_record(alice, kind="gas", notes="winter gas", period_start="2025-01-01", period_end="2025-01-31")
    create_record(alice, kind="gas", notes="summer gas", period_start="2025-07-01", period_end="2025-07-31")
    create_record(alice, kind="water", notes="winter water", period_start="2025-01-01", period_end="2025-01-31")

    assert list_ids(alice, kind="gas", q="WINTER", to="2025-03-01") == [wanted["id"]]


# --- lists: bad parameters -------------------------------------------------------------------
# A cursor that matches the contract's pattern but was not issued for this list is a 422
# (the contract's rule for well-formed requests that break a rule); malformed ones are 400.


def test_a_cursor_from_another_sort_is_422(alice):
    for _ in range(3):
        create_record(alice)
    cursor = alice.get(CONSUMPTIONS, params={"limit": 1, "sort": "-period_start"}).json()["next_cursor"]
    assert cursor

    body = assert_problem(alice.get(CONSUMPTIONS, params={"cursor": cursor, "sort": "created_at"}), 422)

    assert error_fields(body) == ["cursor"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "AAAA",
        "A",
        cursor_of([1, 2, 3]),
        cursor_of({"s": "-period_start"}),
        cursor_of({"s": "-period_start", "v": "2025-01-01", "id": "not-a-uuid"}),
        cursor_of({"s": "-period_start", "v": "2025-01-01", "id": 1}),
        cursor_of({"s": "-period_start", "v": "2025-01-01", "id": ["x"]}),
        cursor_of({"s": "-period_start", "v": 20250101, "id": str(uuid.uuid4())}),
        cursor_of({"s": "-period_start", "v": "2025-02-30", "id": str(uuid.uuid4())}),
        cursor_of({"s": "-period_start", "v": None, "id": str(uuid.uuid4())}),
    ],
)
def test_a_garbage_or_forged_cursor_is_422(alice, cursor):
    create_record(alice)

    body = assert_problem(alice.get(CONSUMPTIONS, params={"cursor": cursor}), 422)

    assert error_fields(body) == ["cursor"]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_limit_outside_1_to_100_is_400(alice, limit):
    body = assert_problem(alice.get(CONSUMPTIONS, params={"limit": limit}), 400)

    assert error_fields(body) == ["limit"]


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_at_its_bounds_is_accepted(alice, limit):
    create_record(alice)

    response = alice.get(CONSUMPTIONS, params={"limit": limit})

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


# --- idempotent creates ----------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_and_body_replays_the_first_response(alice, owner_engine):
    headers = {"Idempotency-Key": "retry-1"}
    first = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    replay = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["Location"] == first.headers["Location"]
    assert replay.headers["ETag"] == first.headers["ETag"]
    assert count_records(owner_engine, alice.tenant_id) == 1


def test_the_same_idempotency_key_with_another_body_is_422(alice, owner_engine):
    headers = {"Idempotency-Key": "retry-2"}
    first = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    response = alice.post(CONSUMPTIONS, json={**VALID_RECORD, "quantity": 999}, headers=headers)

    assert first.status_code == 201
    body = assert_problem(response, 422)
    assert error_fields(body) == ["Idempotency-Key"]
    assert count_records(owner_engine, alice.tenant_id) == 1
    # the key still replays its own request
    again = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)
    assert again.json()["id"] == first.json()["id"]


def test_the_same_idempotency_key_of_another_user_is_independent(alice, bob, owner_engine):
    headers = {"Idempotency-Key": "shared-key"}
    alices = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    bobs = bob.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    assert alices.status_code == bobs.status_code == 201
    assert "Idempotent-Replayed" not in bobs.headers
    assert bobs.json()["id"] != alices.json()["id"]
    assert bobs.json()["owner_id"] == bob.user_id
    assert count_records(owner_engine, alice.tenant_id) == 1
    assert count_records(owner_engine, bob.tenant_id) == 1


def test_different_idempotency_keys_create_different_records(alice, owner_engine):
    first = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers={"Idempotency-Key": "k-1"})
    second = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers={"Idempotency-Key": "k-2"})

    assert first.json()["id"] != second.json()["id"]
    assert count_records(owner_engine, alice.tenant_id) == 2


def test_a_key_whose_first_request_was_rejected_is_not_used_up(alice, owner_engine):
    headers = {"Idempotency-Key": "after-a-mistake"}
    bad = {**VALID_RECORD, "period_start": "2025-02-01", "period_end": "2025-01-01"}
    assert_problem(alice.post(CONSUMPTIONS, json=bad, headers=headers), 422)

    fixed = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    assert fixed.status_code == 201, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers
    assert count_records(owner_engine, alice.tenant_id) == 1


def test_concurrent_retries_with_one_idempotency_key_create_one_record(app, alice, owner_engine):
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    responses: list[Any] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def retry() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.post(
                CONSUMPTIONS, json=VALID_RECORD, headers={**alice.headers, "Idempotency-Key": "race"}
            )
            with lock:
                responses.append(response)
        except BaseException as exc:  # surfaced below, in the test's thread
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=retry) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures
    assert [r.status_code for r in responses] == [201] * threads_count, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert count_records(owner_engine, alice.tenant_id) == 1


def test_idempotency_keys_are_kept_per_user_within_one_tenant(app, alice, owner_engine):
    member = add_member(owner_engine, app, alice, "carol", "member")
    headers = {"Idempotency-Key": "same"}

    alices = alice.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)
    carols = member.post(CONSUMPTIONS, json=VALID_RECORD, headers=headers)

    assert alices.status_code == carols.status_code == 201
    assert alices.json()["id"] != carols.json()["id"]
    assert carols.json()["owner_id"] == member.user_id
    assert count_records(owner_engine, alice.tenant_id) == 2


def test_if_match_star_matches_the_current_version_and_weak_tags_never_match(alice):
    record = create_record(alice)
    url = f"{API}/consumptions/{record['id']}"
    weak = alice.patch(url, json={"notes": "weak"}, headers={"If-Match": 'W/"1"'})
    assert weak.status_code == 412
    listed = alice.patch(url, json={"notes": "listed"}, headers={"If-Match": '"7", "1"'})
    assert listed.status_code == 200 and listed.json()["version"] == 2
    star = alice.patch(url, json={"notes": "star"}, headers={"If-Match": "*"})
    assert star.status_code == 200 and star.json()["notes"] == "star"


def test_an_idempotency_key_is_forgotten_after_24_hours(alice, owner_engine):
    first = alice.post(f"{API}/consumptions", json=VALID_RECORD, headers={"Idempotency-Key": "daily-import"})
    assert first.status_code == 201
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"))
    reused = alice.post(
        f"{API}/consumptions", json={**VALID_RECORD, "notes": "next day"}, headers={"Idempotency-Key": "daily-import"}
    )
    assert reused.status_code == 201
    assert reused.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in reused.headers
