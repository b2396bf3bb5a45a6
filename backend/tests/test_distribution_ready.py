"""The schema stays ready to be distributed by tenant (Citus), read from the live database.

A distributed table's primary key, unique constraints and foreign keys must all include the
distribution column, or Citus refuses them. Every table here is keyed by tenant (`tenants` by its
own id), so these checks run over every table the migrations made: a future table that breaks the
rule fails here, without anyone remembering to add it to a list.
"""

from __future__ import annotations

from sqlalchemy import text

# Tables that hold no tenant data: the migration bookkeeping only.
NOT_TENANT_DATA = {"alembic_version"}
# Unique across the whole platform, on purpose: they are looked up before any tenant is known.
# Under Citus they need the step docs/scaling.md gives (a reference table of login names). A new
# entry here needs a step of its own there.
PLATFORM_WIDE_UNIQUE = {
    "users.uq_users_username": "a login name is unique on the platform (sign-in knows no tenant)",
    "users.uq_users_email": "an e-mail is unique on the platform (sign-in knows no tenant)",
}


def _tables(conn) -> list[str]:
    rows = conn.execute(
        text("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
    """)
    ).scalars()
    return [name for name in rows if name not in NOT_TENANT_DATA]


def _tenant_column(table: str) -> str:
    return "id" if table == "tenants" else "tenant_id"


def test_every_table_has_a_tenant_key_in_its_primary_key(owner_engine):
    with owner_engine.connect() as conn:
        tables = _tables(conn)
        assert len(tables) >= 13
        for table in tables:
            key = conn.execute(
                text("""
                SELECT array_agg(a.attname::text) FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = CAST(:table AS regclass) AND i.indisprimary
            """),
                {"table": table},
            ).scalar_one()
            assert key, f"{table} has no primary key"
            assert _tenant_column(table) in key, f"{table}'s primary key {key} lacks {_tenant_column(table)}"


def test_every_unique_constraint_and_index_includes_the_tenant(owner_engine):
    without_tenant = set()
    with owner_engine.connect() as conn:
        for table in _tables(conn):
            rows = conn.execute(
                text("""
                SELECT ic.relname, array_agg(a.attname::text)
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = CAST(:table AS regclass) AND i.indisunique
                GROUP BY ic.relname
            """),
                {"table": table},
            ).all()
            for index, columns in rows:
                # An index on expressions only (lower(username)) lists no plain columns.
                if _tenant_column(table) not in [column for column in columns if column]:
                    without_tenant.add(f"{table}.{index}")
    assert without_tenant == set(PLATFORM_WIDE_UNIQUE)


def test_every_foreign_key_carries_the_tenant_on_both_sides(owner_engine):
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text("""
            SELECT con.conname, src.relname, dst.relname,
                   ARRAY(SELECT attname::text FROM pg_attribute
                         WHERE attrelid = con.conrelid AND attnum = ANY(con.conkey)) AS src_columns,
                   ARRAY(SELECT a.attname::text FROM unnest(con.conkey, con.confkey) AS k(src, dst)
                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.dst
                         JOIN pg_attribute s ON s.attrelid = con.conrelid AND s.attnum = k.src
                         WHERE s.attname = 'tenant_id') AS tenant_targets
            FROM pg_constraint con
            JOIN pg_class src ON src.oid = con.conrelid
            JOIN pg_class dst ON dst.oid = con.confrelid
            JOIN pg_namespace n ON n.oid = src.relnamespace
            WHERE con.contype = 'f' AND n.nspname = 'public'
        """)
        ).all()
        assert rows, "no foreign keys found: the query is wrong"
        for name, source, target, source_columns, tenant_targets in rows:
            assert "tenant_id" in source_columns, f"{source}.{name} does not include tenant_id"
            assert tenant_targets == [_tenant_column(target)], (
                f"{source}.{name}: tenant_id must reference {target}.{_tenant_column(target)}, not {tenant_targets}"
            )


def test_every_table_forces_row_level_security_with_a_tenant_policy(owner_engine):
    with owner_engine.connect() as conn:
        for table in _tables(conn):
            enabled, forced = conn.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = CAST(:table AS regclass)"),
                {"table": table},
            ).one()
            assert enabled and forced, f"{table} does not force row-level security"
            policies = (
                conn.execute(
                    text(
                        "SELECT qual FROM pg_policies WHERE schemaname = 'public' AND tablename = :table "
                        "AND 'public' = ANY(roles)"
                    ),
                    {"table": table},
                )
                .scalars()
                .all()
            )
            assert any("app.tenant_id" in (qual or "") for qual in policies), f"{table} has no tenant policy"
