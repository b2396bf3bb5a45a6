"""What both benchmarks share: pgbench, a throwaway database, a bulk load, and the settings of the
in-process app that seeds it."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql


def seeding_settings(database_url: str) -> dict[str, str]:
    """Settings of the in-process app that registers the benchmark's users: a fresh secret, the
    cheapest password hashing, quiet logs, no statement timeout for the bulk load."""
    return {
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ENVIRONMENT": "test",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
        "DB_STATEMENT_TIMEOUT_MS": "600000",
    }


def pgbench_binary() -> str | None:
    """The pgbench bundled with the embedded PostgreSQL, else the system's; None without either."""
    try:
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    except ImportError:
        bundled = None
    return str(bundled) if bundled and bundled.exists() else shutil.which("pgbench")


SERVER_SETTINGS = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "consumo.conf"


def server_settings() -> dict[str, str]:
    """The settings of deploy/postgres/consumo.conf (what Consumo's server runs with)."""
    settings: dict[str, str] = {}
    for line in SERVER_SETTINGS.read_text().splitlines():
        name, _, value = line.split("#", 1)[0].partition("=")
        if name.strip():
            settings[name.strip()] = value.strip()
    return settings


def server_dsn() -> str:
    """BENCH_DATABASE_URL's server (as it is configured), else an embedded PostgreSQL in a
    temporary folder (removed at exit), started with deploy/postgres/consumo.conf's settings."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    from consumo.embedded import _servers, embedded_server_uri

    folder = Path(tempfile.mkdtemp(prefix="consumo-bench-pg-")).resolve()
    uri = embedded_server_uri(folder, delete_on_exit=True)
    with psycopg.connect(uri, autocommit=True) as conn:
        for name, value in server_settings().items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
    from pgserver._commands import pg_ctl  # type: ignore[import-untyped]

    # shared_buffers takes a restart (pg_ctl keeps the start's options), as the server's own user
    user = getattr(_servers[folder], "system_user", None)
    pg_ctl(["-w", "restart"], pgdata=folder, user=user)
    # pgserver stops at exit the server it started, by that process; the restarted one is stopped
    # here, first (atexit runs the last registered first), before pgserver removes the folder.
    atexit.register(pg_ctl, ["-w", "-m", "fast", "stop"], pgdata=folder, user=user)
    return uri


def describe_server(dsn: str) -> str:
    """The settings that decide bulk-write speed, as the server runs."""
    names = ("shared_buffers", "max_wal_size", "wal_compression", "synchronous_commit", "fsync")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name", (list(names),)
        ).fetchall()
    return ", ".join(f"{name}={value}" for name, value in rows)


def database_dsn(server: str, name: str) -> str:
    return server.replace("/postgres?", f"/{name}?") if "?" in server else f"{server.rsplit('/', 1)[0]}/{name}"


@contextmanager
def throwaway_database(server: str, prefix: str) -> Iterator[str]:
    """A new database on `server` (its DSN), dropped afterwards whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_dsn(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# Three years of records per owner, mostly daily readings and 2 % monthly bills spanning 30 days.
SEED_RECORDS = """
INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, period_end,
                                 cost_minor, currency, source, version, created_by, updated_by)
SELECT %(tenant)s, gen_random_uuid(), %(owner)s,
       (ARRAY['electricity','water','gas','mobile_data','voice','sms'])[1 + n %% 6],
       round((random() * 50)::numeric, 3),
       d, d + CASE WHEN n %% 50 = 0 THEN 29 ELSE 0 END,
       (random() * 1000)::int, 'EUR', 'import', 1, %(owner)s, %(owner)s
FROM generate_series(1, %(records)s) AS n,
     LATERAL (SELECT date '2023-01-01' + (n %% 1066) AS d) AS day
"""

# The roll-ups built set-based with the trigger's own formula, as a bulk import does.
BUILD_DAILY = """
INSERT INTO consumption_daily AS d (tenant_id, owner_id, day, kind, currency, quantity, cost_minor, records)
SELECT r.tenant_id, r.owner_id, g.day::date, r.kind, r.currency,
       sum(round(r.quantity / (r.period_end - r.period_start + 1), 12)),
       sum(round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)),
       count(*) FILTER (WHERE g.day::date = r.period_start)
FROM consumption_records r,
     generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
GROUP BY 1, 2, 3, 4, 5
"""
BUILD_MONTHLY = """
INSERT INTO consumption_monthly (tenant_id, owner_id, month, kind, currency, meter_id, quantity, cost_minor, records)
SELECT tenant_id, owner_id, date_trunc('month', day)::date, kind, currency, meter_id,
       sum(quantity), sum(cost_minor), sum(records)
FROM consumption_daily GROUP BY 1, 2, 3, 4, 5, 6
"""


def load_records(conn: psycopg.Connection, owners: list[tuple[str, str, int]]) -> None:
    """A bulk import in the caller's transaction: (tenant, owner, count) records inserted set-based
    with the per-row roll-up trigger off, then both roll-ups built in one statement each with the
    trigger's own formula, so nobody ever sees records without their roll-up."""
    conn.execute("ALTER TABLE consumption_records DISABLE TRIGGER consumption_rollup_write")
    for tenant, owner, records in owners:
        conn.execute(SEED_RECORDS, {"tenant": tenant, "owner": owner, "records": records})
    conn.execute(BUILD_DAILY)
    conn.execute(BUILD_MONTHLY)
    conn.execute("ALTER TABLE consumption_records ENABLE TRIGGER consumption_rollup_write")
