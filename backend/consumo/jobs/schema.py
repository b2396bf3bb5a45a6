"""Where procrastinate's tables live: a schema of their own, beside the tenant tables."""

from __future__ import annotations

from importlib.resources import files

JOB_SCHEMA = "procrastinate"


def procrastinate_schema_sql() -> str:
    """procrastinate's schema, as shipped with the pinned version (`procrastinate schema --read`)."""
    return (files("procrastinate") / "sql" / "schema.sql").read_text()
