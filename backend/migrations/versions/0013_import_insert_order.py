"""an import's commit inserts its records in one order across its chunks (by period, then row), with
ids ascending in that order, and refreshes the roll-ups from the inserted records themselves

Revision ID: 0013
Revises: 0012
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

from consumo.config import get_settings

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NO_METER = "'00000000-0000-0000-0000-000000000000'::uuid"

# Where 0010's commit still spent its time (1,000,000 staged rows, ten chunks, backend CPU per row):
# 42 µs, nearly all of it in the indexes of consumption_records. Its chunks were ranges of row
# numbers, each inserted in period order: every chunk wrote into the middle of the period indexes
# already holding the earlier chunks' periods (a descent from the root and page splits per record,
# no rightmost-page fast path), and its ids (seed + row number) reached the primary key out of
# order. The roll-ups read the staged rows twice more, and expanded every multi-day record into one
# row per day.
#
# This function inserts one chunk, and the chunks are ranges of period_start (the service cuts
# them from a per-day count of the staged rows), so the whole import goes in in one order, by
# period then row number:
#   - each chunk is read through ix_import_rows_period (tenant, import, period_start, row_number),
#     already in that order: no sort, no window, and no scan of the whole import per chunk. Right
#     after a preview the planner has no statistics for import_rows; this index is the obvious
#     path with or without them (without it, the chunks were read through the primary key);
#   - the id is UUID version 7 (RFC 9562): the timestamp of the commit's transaction (now(), the
#     same for every chunk), rand_a the seed's top 12 bits, then a counter (its "monotonic random"
#     method): a random 61-bit start (p_seed) plus the row's position, (period_start - p_origin) *
#     p_span + row_number, p_origin being the import's first day and p_span above every row
#     number. Unique and ascending across the import, so the primary key and
#     ix_consumption_owner_created (one created_at per transaction) append, as do the period
#     indexes (period order) and ix_consumption_import (heap order). The counter has gaps (days
#     times span, far below 2^61 for any file the upload accepts; checked), which RFC 9562 allows;
#   - the roll-ups are refreshed in the same statement, from the records it inserted (RETURNING),
#     not from two more scans of the staged rows: records of one period, kind and currency are
#     summed first (each record's per-day share rounded to 12 places exactly as
#     consumption_rollup_apply rounds it; a one-day record's share is its quantity), so a period
#     is expanded into its days once, not once per record. Sums of exact numerics: the same totals.
# Measured (docs/bulk-data.md, "Figures"): make bench-import's commit of 1,000,000 rows went from
# 45.8 to 23.5 CPU-seconds (47.0 s to 24.6 s, under a similar load on a shared 2-core machine).
#
# The shared references are checked and locked once and the per-row triggers skipped as in 0010;
# in this single statement that also skips the roll-up tables' foreign-key triggers, whose one
# reference (the owner) is the one checked and locked FOR KEY SHARE above.
# The chunk's staged rows as records, in one order (both paths below insert them so).
INSERT_STAGED = """INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, period_end,
            cost_minor, currency, source, notes, meter_id, cost_from_tariff, import_id, version,
            created_at, updated_at, created_by, updated_by)
        SELECT s.tenant_id, (prefix || to_hex(base + (s.period_start - p_origin) * p_span + s.row_number))::uuid,
               job.owner_id, s.kind, s.quantity, s.period_start, s.period_end,
               s.cost_minor, s.currency, 'import', s.notes, job.meter_id, s.cost_from_tariff, s.import_id, 1,
               now(), now(), job.owner_id, job.owner_id
        FROM import_rows s
        WHERE s.tenant_id = p_tenant AND s.import_id = p_import
          AND s.period_start BETWEEN p_first_day AND p_last_day
          AND (NOT job.skip_duplicates OR s.duplicate IS NULL)
        ORDER BY s.period_start, s.row_number"""

INSERT_CHUNK = f"""
CREATE FUNCTION consumo_import_insert(p_tenant uuid, p_import uuid, p_first_day date, p_last_day date,
                                      p_origin date, p_span bigint, p_seed bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp SET work_mem = '64MB' AS $$
DECLARE
    job record;
    fast boolean := true;
    prefix text;
    base bigint;
    inserted bigint;
BEGIN
    -- Row-level security binds its owner too (FORCE), unless the owner is a superuser: the
    -- function acts on the transaction's own tenant only, whoever owns it.
    IF p_tenant IS DISTINCT FROM nullif(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'not the transaction''s tenant' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_seed < 0 OR p_seed >= 2305843009213693952 OR p_span < 1 OR p_first_day < p_origin
       OR (p_last_day - p_origin + 1)::numeric * p_span >= 2305843009213693952 THEN
        RAISE EXCEPTION 'the id seed and the import''s positions are 61-bit' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT owner_id, meter_id, skip_duplicates INTO job FROM imports
    WHERE tenant_id = p_tenant AND id = p_import FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such import' USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM users WHERE tenant_id = p_tenant AND id = job.owner_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the import''s owner is gone' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF job.meter_id IS NOT NULL THEN
        PERFORM 1 FROM meters WHERE tenant_id = p_tenant AND id = job.meter_id FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the import''s meter is gone' USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    BEGIN
        PERFORM set_config('session_replication_role', 'replica', true);
    EXCEPTION WHEN insufficient_privilege THEN
        fast := false;
    END;
    -- 48 bits of milliseconds, version 7, rand_a (the seed's top 12 bits); then the variant (10)
    -- and 62 bits of seed + position (both below 2^61: no carry into the variant).
    prefix := lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0')
              || '7' || lpad(to_hex(p_seed >> 49), 3, '0');
    base := -9223372036854775808 + p_seed;
    IF NOT fast THEN
        -- the triggers check and roll up
        {INSERT_STAGED};
        GET DIAGNOSTICS inserted = ROW_COUNT;
        RETURN inserted;
    END IF;
    WITH record AS (
        {INSERT_STAGED}
        RETURNING kind, currency, quantity, cost_minor, period_start, period_end
    ), same_period AS MATERIALIZED (
        -- per record: its share of each day of its period (a one-day record: all of it)
        SELECT r.period_start, r.period_end, r.kind, r.currency,
               sum(CASE WHEN r.period_end = r.period_start THEN r.quantity
                        ELSE round(r.quantity / (r.period_end - r.period_start + 1), 12) END) AS quantity,
               sum(CASE WHEN r.period_end = r.period_start THEN coalesce(r.cost_minor, 0)::numeric
                        ELSE round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)
                   END) AS cost_minor,
               count(*) AS records
        FROM record r
        GROUP BY 1, 2, 3, 4
    ), contribution AS MATERIALIZED (
        SELECT day, kind, currency, sum(quantity) AS quantity, sum(cost_minor) AS cost_minor, sum(records) AS records
        FROM (
            SELECT p.period_start AS day, p.kind, p.currency, p.quantity, p.cost_minor, p.records
            FROM same_period p
            WHERE p.period_end = p.period_start
            UNION ALL
            SELECT g.day::date, p.kind, p.currency, p.quantity, p.cost_minor,
                   CASE WHEN g.day::date = p.period_start THEN p.records ELSE 0 END
            FROM same_period p,
                 generate_series(p.period_start::timestamp, p.period_end::timestamp, interval '1 day') AS g(day)
            WHERE p.period_end > p.period_start
        ) AS share
        GROUP BY 1, 2, 3
    ), daily AS (
        INSERT INTO consumption_daily AS d
            (tenant_id, owner_id, day, kind, currency, meter_id, quantity, cost_minor, records)
        SELECT p_tenant, job.owner_id, c.day, c.kind, c.currency, coalesce(job.meter_id, {NO_METER}),
               c.quantity, c.cost_minor, c.records
        FROM contribution c
        ON CONFLICT (tenant_id, owner_id, day, kind, currency, meter_id) DO UPDATE
        SET quantity = d.quantity + EXCLUDED.quantity,
            cost_minor = d.cost_minor + EXCLUDED.cost_minor,
            records = d.records + EXCLUDED.records
    ), monthly AS (
        INSERT INTO consumption_monthly AS m
            (tenant_id, owner_id, month, kind, currency, meter_id, quantity, cost_minor, records)
        SELECT p_tenant, job.owner_id, date_trunc('month', c.day)::date, c.kind, c.currency,
               coalesce(job.meter_id, {NO_METER}), sum(c.quantity), sum(c.cost_minor), sum(c.records)
        FROM contribution c
        GROUP BY 3, 4, 5
        ON CONFLICT (tenant_id, owner_id, month, kind, currency, meter_id) DO UPDATE
        SET quantity = m.quantity + EXCLUDED.quantity,
            cost_minor = m.cost_minor + EXCLUDED.cost_minor,
            records = m.records + EXCLUDED.records
    )
    SELECT coalesce(sum(p.records), 0) INTO inserted FROM same_period p;
    PERFORM set_config('session_replication_role', 'origin', true);
    RETURN inserted;
END $$"""

SIGNATURE = "consumo_import_insert(uuid, uuid, date, date, date, bigint, bigint)"


def _revision_0010() -> ModuleType:
    """0010's function, which the downgrade puts back."""
    path = Path(__file__).with_name("0010_import_bulk_insert.py")
    spec = importlib.util.spec_from_file_location("consumo_migration_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grant(signature: str) -> None:
    role = get_settings().app_db_role
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{role}"')


def upgrade() -> None:
    previous = _revision_0010()
    op.execute(f"DROP FUNCTION {previous.SIGNATURE}")
    op.create_index("ix_import_rows_period", "import_rows", ["tenant_id", "import_id", "period_start", "row_number"])
    op.execute(INSERT_CHUNK)
    _grant(SIGNATURE)


def downgrade() -> None:
    previous = _revision_0010()
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.execute(previous.INSERT_CHUNK)
    _grant(previous.SIGNATURE)
    op.drop_index("ix_import_rows_period", table_name="import_rows")
