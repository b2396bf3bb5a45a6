"""The contract's days (its `Day` schema, `x-first-day` to `x-last-day`): what a create accepts,
what every answer may hold, and so what every stored day may be. The database checks it too
(`within_days`), so no write path (the import's COPY, a set-based insert, SQL written later) can
store a day that a response would then fail to validate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def within_days(*columns: str, name: str) -> CheckConstraint:
    """A CHECK that each of `columns` holds a day of the contract's range."""
    return CheckConstraint(
        " AND ".join(f"{column} BETWEEN '{FIRST_DAY}' AND '{LAST_DAY}'" for column in columns), name=name
    )
