"""an import's commit inserts its records in one set-based pass per chunk: the references every
row shares checked once, the roll-ups refreshed once, ids made without a random draw per row

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from consumo.config import get_settings

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NO_METER = "'00000000-0000-0000-0000-000000000000'::uuid"

# Where a commit's time went (EXPLAIN ANALYZE of the insert of 200,000 staged rows): a third in
# per-row foreign-key checks (owner, import, meter and reading: four trigger calls per record,
# although every record of an import has the same owner, import and meter, and no reading),
# a fifth in the roll-up trigger (its transition table of every inserted record, then
# generate_series twice: once per roll-up), a tenth drawing a strong random id per row.
#
# This function inserts one chunk of an import's staged rows:
#   - the owner, the import and the meter are checked once, and locked FOR KEY SHARE as a
#     foreign-key check locks them, so none can go while the transaction lasts;
#   - the per-row triggers are then skipped for this one statement (session_replication_role =
#     replica, the technique of pg_restore --disable-triggers), and the roll-ups refreshed from
#     the same staged rows in one statement: the per-day contributions computed once, each
#     rounded to 12 places exactly as consumption_rollup_apply does, summed per day into the
#     daily roll-up and per month into the monthly one (sums of exact numerics: identical totals);
#   - a server that does not let the owner set session_replication_role (it needs superuser or
#     `GRANT SET ON PARAMETER session_replication_role TO <owner>`) takes the ordinary path: the
#     triggers check and roll up as for any insert. Slower, never wrong.
#   - ids are UUID version 7 (RFC 9562): the time in milliseconds, then a per-import random
#     62-bit start plus the row number (its "monotonic random" method): unique, time-ordered (the
#     primary key appends instead of splitting pages), and no strong random draw per row.
# Rows go in ordered by period, so the two period indexes are written in order too.
INSERT_CHUNK = f"""
CREATE FUNCTION consumo_import_insert(p_tenant uuid, p_import uuid, p_low bigint, p_high bigint, p_seed bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp SET work_mem = '64MB' AS $$
DECLARE
    job record;
    fast boolean := true;
    prefix text;
    inserted bigint;
BEGIN
    -- Row-level security binds its owner too (FORCE), unless the owner is a superuser: the
    -- function acts on the transaction's own tenant only, whoever owns it.
    IF p_tenant IS DISTINCT FROM nullif(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'not the transaction''s tenant' USING ERRCODE = 'insufficient_privilege';
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
    prefix := lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
              || '7' || lpad(to_hex((random() * 4095)::int), 3, '0');
    INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, period_end,
        cost_minor, currency, source, notes, meter_id, cost_from_tariff, import_id, version,
        created_at, updated_at, created_by, updated_by)
    SELECT s.tenant_id,
           (prefix || to_hex(-9223372036854775808 + ((p_seed + s.row_number) & 4611686018427387903)))::uuid,
           job.owner_id, s.kind, s.quantity, s.period_start, s.period_end,
           s.cost_minor, s.currency, 'import', s.notes, job.meter_id, s.cost_from_tariff, s.import_id, 1,
           now(), now(), job.owner_id, job.owner_id
    FROM import_rows s
    WHERE s.tenant_id = p_tenant AND s.import_id = p_import
      AND s.row_number >= p_low AND s.row_number < p_high
      AND (NOT job.skip_duplicates OR s.duplicate IS NULL)
    ORDER BY s.period_start, s.row_number;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF NOT fast THEN
        RETURN inserted;  -- the triggers checked and rolled up
    END IF;
    PERFORM set_config('session_replication_role', 'origin', true);
    WITH contribution AS MATERIALIZED (
        SELECT day, kind, currency, sum(quantity) AS quantity, sum(cost_minor) AS cost_minor, sum(records) AS records
        FROM (
            -- A one-day record contributes its whole quantity and cost to its day (dividing by one
            -- and rounding to 12 places changes nothing): summed per day without generate_series.
            SELECT s.period_start AS day, s.kind, s.currency, sum(s.quantity) AS quantity,
                   sum(coalesce(s.cost_minor, 0))::numeric AS cost_minor, count(*) AS records
            FROM import_rows s
            WHERE s.tenant_id = p_tenant AND s.import_id = p_import
              AND s.row_number >= p_low AND s.row_number < p_high
              AND (NOT job.skip_duplicates OR s.duplicate IS NULL)
              AND s.period_end = s.period_start
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT g.day::date, s.kind, s.currency,
                   round(s.quantity / (s.period_end - s.period_start + 1), 12),
                   round(coalesce(s.cost_minor, 0)::numeric / (s.period_end - s.period_start + 1), 12),
                   CASE WHEN g.day::date = s.period_start THEN 1 ELSE 0 END
            FROM import_rows s,
                 generate_series(s.period_start::timestamp, s.period_end::timestamp, interval '1 day') AS g(day)
            WHERE s.tenant_id = p_tenant AND s.import_id = p_import
              AND s.row_number >= p_low AND s.row_number < p_high
              AND (NOT job.skip_duplicates OR s.duplicate IS NULL)
              AND s.period_end > s.period_start
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
    )
    INSERT INTO consumption_monthly AS m
        (tenant_id, owner_id, month, kind, currency, meter_id, quantity, cost_minor, records)
    SELECT p_tenant, job.owner_id, date_trunc('month', c.day)::date, c.kind, c.currency,
           coalesce(job.meter_id, {NO_METER}), sum(c.quantity), sum(c.cost_minor), sum(c.records)
    FROM contribution c
    GROUP BY 3, 4, 5
    ON CONFLICT (tenant_id, owner_id, month, kind, currency, meter_id) DO UPDATE
    SET quantity = m.quantity + EXCLUDED.quantity,
        cost_minor = m.cost_minor + EXCLUDED.cost_minor,
        records = m.records + EXCLUDED.records;
    RETURN inserted;
END $$"""

SIGNATURE = "consumo_import_insert(uuid, uuid, bigint, bigint, bigint)"


def upgrade() -> None:
    role = get_settings().app_db_role
    op.execute(INSERT_CHUNK)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{role}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
