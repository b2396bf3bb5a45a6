"""Bulk data: batch creates (all or none), streamed exports, CSV imports with a dry-run preview,
atomic commit and revert, and the KPI roll-ups exact through all of them."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import text

from tests.conftest import API, VALID_RECORD, Account, assert_problem, create_meter, create_record

CSV_HEADERS = {"Content-Type": "text/csv"}


def _rollup_matches_records(owner_engine: Any) -> None:
    """The daily and monthly roll-ups equal a recomputation from the raw records."""
    with owner_engine.begin() as conn:
        conn.execute(text("SET LOCAL row_security = off"))
        recomputed = conn.execute(
            text("""
            SELECT r.tenant_id, r.owner_id, g.day::date AS day, r.kind, r.currency,
                   coalesce(r.meter_id, '00000000-0000-0000-0000-000000000000'::uuid) AS meter_id,
                   sum(round(r.quantity / (r.period_end - r.period_start + 1), 12)) AS quantity,
                   sum(round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)) AS cost,
                   count(*) FILTER (WHERE g.day::date = r.period_start) AS records
            FROM consumption_records r,
                 generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') g(day)
            GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6""")
        ).all()
        stored = conn.execute(
            text("""SELECT tenant_id, owner_id, day, kind, currency, meter_id, quantity, cost_minor, records
                    FROM consumption_daily ORDER BY 1, 2, 3, 4, 5, 6""")
        ).all()
        assert [tuple(row) for row in stored] == [tuple(row) for row in recomputed]
        months = conn.execute(
            text("""SELECT tenant_id, owner_id, date_trunc('month', day)::date, kind, currency, meter_id,
                           sum(quantity), sum(cost_minor), sum(records)
                    FROM consumption_daily GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6""")
        ).all()
        stored_months = conn.execute(
            text("""SELECT tenant_id, owner_id, month, kind, currency, meter_id, quantity, cost_minor, records
                    FROM consumption_monthly ORDER BY 1, 2, 3, 4, 5, 6""")
        ).all()
        assert [tuple(row) for row in stored_months] == [tuple(row) for row in months]


def _records(account: Account, **params: Any) -> list[dict[str, Any]]:
    response = account.get(f"{API}/consumptions", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


# --- batch ----------------------------------------------------------------------------------


def test_a_batch_records_every_item_in_order_and_the_rollups_stay_exact(alice: Account, owner_engine: Any) -> None:
    items = [{**VALID_RECORD, "quantity": index + 1, "notes": f"item {index}"} for index in range(30)]
    response = alice.post(f"{API}/consumptions/batch", json={"items": items})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == 30 and len(body["ids"]) == 30
    assert response.headers["Location"] == f"{API}/consumptions/{body['ids'][0]}"
    for index in (0, 17, 29):
        record = alice.get(f"{API}/consumptions/{body['ids'][index]}").json()
        assert record["notes"] == f"item {index}" and record["source"] == "manual"
    _rollup_matches_records(owner_engine)


def test_a_batch_is_audited_and_announced_like_single_creates(alice: Account, owner_engine: Any) -> None:
    """Each record of a batch is an audit event and a `consumption.created` webhook event, as
    a single create is (the batch goes through the unit of work, not around it)."""
    hook = alice.post(
        f"{API}/webhooks", json={"url": "https://hooks.example.invalid/x", "event_types": ["consumption.created"]}
    )
    assert hook.status_code == 201, hook.text
    ids = alice.post(f"{API}/consumptions/batch", json={"items": [VALID_RECORD] * 3}).json()["ids"]

    events = alice.get(f"{API}/audit-events", params={"entity_type": "consumption_records", "action": "create"})
    assert events.status_code == 200, events.text
    assert sorted(event["entity_id"] for event in events.json()["items"]) == sorted(ids)
    with owner_engine.connect() as conn:
        announced = conn.execute(
            text("SELECT count(*) FROM webhook_deliveries WHERE event_type = 'consumption.created'")
        ).scalar_one()
    assert announced == 3


def test_a_batch_with_broken_items_records_nothing_and_names_every_broken_item(alice: Account) -> None:
    items = [dict(VALID_RECORD) for _ in range(15)]
    items[3] = {**VALID_RECORD, "period_end": "2024-12-01"}
    items[12] = {**VALID_RECORD, "meter_id": "00000000-0000-4000-8000-000000000000"}
    body = assert_problem(alice.post(f"{API}/consumptions/batch", json={"items": items}), 422)
    assert {error["field"] for error in body["errors"]} == {"items[3].period_end", "items[12].meter_id"}
    assert _records(alice) == []


def test_a_batch_item_that_breaks_the_schema_is_named_by_its_index(alice: Account) -> None:
    items = [dict(VALID_RECORD), {**VALID_RECORD, "period_end": "31/01/2025"}]
    assert_problem(alice.post(f"{API}/consumptions/batch", json={"items": items}), 400, "items[1].period_end")


def test_a_batch_takes_at_most_1000_items_and_at_least_one(alice: Account) -> None:
    assert_problem(alice.post(f"{API}/consumptions/batch", json={"items": []}), 400)
    compact = {"kind": "water", "quantity": 1, "period_start": "2025-01-01", "period_end": "2025-01-01"}
    assert_problem(alice.post(f"{API}/consumptions/batch", json={"items": [compact] * 1001}), 400)
    assert alice.post(f"{API}/consumptions/batch", json={"items": [compact] * 1000}).status_code == 201


def test_a_retried_batch_with_its_idempotency_key_is_recorded_once(alice: Account) -> None:
    payload = {"items": [dict(VALID_RECORD), dict(VALID_RECORD)]}
    first = alice.post(f"{API}/consumptions/batch", json=payload, headers={"Idempotency-Key": "batch-1"})
    again = alice.post(f"{API}/consumptions/batch", json=payload, headers={"Idempotency-Key": "batch-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(_records(alice)) == 2


def test_a_batch_checks_meters_like_a_single_create(alice: Account, bob: Account) -> None:
    bobs_meter = create_meter(bob)
    water = create_meter(alice, kind="water", identifier="W-1")
    items = [{**VALID_RECORD, "meter_id": bobs_meter["id"]}, {**VALID_RECORD, "meter_id": water["id"]}]
    body = assert_problem(alice.post(f"{API}/consumptions/batch", json={"items": items}), 422)
    assert {error["field"] for error in body["errors"]} == {"items[0].meter_id", "items[1].meter_id"}


def test_a_viewer_cannot_record_a_batch(alice: Account, owner_engine: Any, app: Any) -> None:
    from tests.conftest import add_member

    viewer = add_member(owner_engine, app, alice, "vera", "viewer")
    assert_problem(viewer.post(f"{API}/consumptions/batch", json={"items": [VALID_RECORD]}), 403)


# --- export ---------------------------------------------------------------------------------


def _export(account: Account, accept: str = "text/csv", **params: Any) -> Any:
    return account.get(f"{API}/consumptions/export", params=params, headers={"Accept": accept})


def test_the_csv_export_has_a_header_the_apis_units_and_exactly_the_filtered_records(alice: Account) -> None:
    create_record(alice, notes="one", quantity=1.5)
    create_record(alice, kind="water", notes="two", quantity=2)
    create_record(alice, notes="three", period_start="2026-03-01", period_end="2026-03-31")
    response = _export(alice, kind="electricity", to="2025-12-31")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="consumo-') and disposition.endswith('-until-2025-12-31.csv"')
    names = {
        (None, None): "all",
        ("2025-01-01", None): "from-2025-01-01",
        ("2025-01-01", "2025-12-31"): "2025-01-01-2025-12-31",
    }
    for (start, end), span in names.items():
        bounds = {key: value for key, value in (("from", start), ("to", end)) if value}
        named = _export(alice, **bounds).headers["Content-Disposition"]
        assert named.endswith(f'-{span}.csv"'), named
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["notes"], row["quantity"], row["unit"]) for row in rows] == [("one", "1.500", "kWh")]
    assert rows[0]["cost_minor"] == "4520" and rows[0]["currency"] == "EUR"


def test_the_ndjson_export_gives_the_lists_objects_but_their_overlaps(alice: Account) -> None:
    create_record(alice, notes="a")
    create_record(alice, notes="b", period_start="2025-02-01", period_end="2025-02-28")
    response = _export(alice, accept="application/x-ndjson")
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    # `overlaps` reads other records for each row: an export streams the records themselves.
    assert lines == [{k: v for k, v in record.items() if k != "overlaps"} for record in _records(alice)]


def test_a_formula_in_notes_is_escaped_in_the_csv_export(alice: Account) -> None:
    for notes in ('=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", "\tx", "plain"):
        create_record(alice, notes=notes)
    rows = list(csv.DictReader(io.StringIO(_export(alice).text)))
    assert sorted(row["notes"] for row in rows) == sorted(
        ['\'=HYPERLINK("http://evil.example","x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain"]
    )


def test_an_export_sees_only_what_the_list_sees(alice: Account, bob: Account) -> None:
    create_record(bob, notes="bob's")
    create_record(alice, notes="alice's")
    rows = list(csv.DictReader(io.StringIO(_export(alice).text)))
    assert [row["notes"] for row in rows] == ["alice's"]
    assert_problem(_export(alice, scope="tenant", meter_id="00000000-0000-4000-8000-000000000000"), 422, "meter_id")


def test_an_export_of_many_records_streams_them_all(alice: Account, owner_engine: Any) -> None:
    compact = {"kind": "water", "quantity": 1, "period_start": "2025-01-01", "period_end": "2025-01-01"}
    for _ in range(5):
        assert alice.post(f"{API}/consumptions/batch", json={"items": [compact] * 1000}).status_code == 201
    lines = _export(alice).text.splitlines()
    assert len(lines) == 5001 and lines[0].startswith("id,kind,quantity,unit")
