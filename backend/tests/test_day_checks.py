"""Every stored day the API returns is a day of the contract, checked by the database itself: no
write path (a COPY, a set-based insert, SQL written later) can store a day that an answer would
then fail to validate (a 500 on every list holding it)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Date, text
from sqlalchemy.exc import IntegrityError

from consumo.db import Base
from consumo.days import FIRST_DAY, LAST_DAY

# Days derived from the checked ones, never returned as they are stored.
DERIVED = {
    ("consumption_daily", "day"): "a record's days, spread by the roll-up",
    ("consumption_monthly", "month"): "the first of a record's months",
    ("alert_marks", "period_start"): "the period of an alert, from a record's or a cycle's days",
}


def _day_columns() -> list[tuple[str, str]]:
    return sorted(
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Date)
    )


def test_every_stored_day_is_checked_against_the_contracts_range(owner_engine):
    with owner_engine.connect() as conn:
        checks = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c"
                " WHERE c.contype = 'c' AND c.convalidated AND c.connamespace = 'public'::regnamespace"
            )
        ).all()
    unchecked = []
    for table, column in _day_columns():
        if (table, column) in DERIVED:
            continue
        if not any(
            owner == table and column in definition and f"'{FIRST_DAY}'" in definition and f"'{LAST_DAY}'" in definition
            for owner, definition in checks
        ):
            unchecked.append((table, column))
    assert unchecked == []
    assert set(DERIVED) <= set(_day_columns()), "a derived day column listed here no longer exists"


@pytest.mark.parametrize(
    ("start", "end", "stored"),
    [
        ("1999-12-31", "2000-01-01", False),
        ("2000-01-01", "2000-01-01", True),
        ("2100-12-31", "2100-12-31", True),
        ("2100-12-31", "2101-01-01", False),
        ("0001-01-01", "0001-01-01", False),
    ],
)
def test_a_record_outside_the_contracts_days_is_refused_by_the_database(owner_engine, alice, start, end, stored):
    insert = text(
        "INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, period_end,"
        " currency, source, version, created_by, updated_by)"
        " VALUES (:tenant, :id, :owner, 'gas', 1, :start, :end, 'EUR', 'api', 1, :owner, :owner)"
    )
    values = {"tenant": alice.tenant_id, "id": uuid.uuid4(), "owner": alice.user_id, "start": start, "end": end}
    with owner_engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(alice.tenant_id)})
        if stored:
            conn.execute(insert, values)
        else:
            with pytest.raises(IntegrityError, match="ck_consumption_days"):
                conn.execute(insert, values)
    if stored:
        listed = alice.get("/api/v1/consumptions", params={"from": start, "to": end})
        assert listed.status_code == 200, listed.text
        assert [item["period_start"] for item in listed.json()["items"]] == [start]
