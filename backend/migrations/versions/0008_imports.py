"""imports (CSV preview, staged rows, row errors); records remember their import; roll-ups of
inserts and deletes kept set-based, once per statement

Revision ID: 0008
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from consumo.rls import protect

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

NO_METER = "'00000000-0000-0000-0000-000000000000'::uuid"

# The roll-ups of rows inserted or deleted by one statement, from its transition table: the
# same per-day contributions as consumption_rollup_apply (each rounded to 12 places, then
# summed, so the totals are identical to the per-row trigger's), in one statement per roll-up.
# A bulk insert of a million records costs one pass instead of a million function calls.
_APPLY_SET = """
    INSERT INTO consumption_daily AS d
        (tenant_id, owner_id, day, kind, currency, meter_id, quantity, cost_minor, records)
    SELECT r.tenant_id, r.owner_id, g.day::date, r.kind, r.currency, coalesce(r.meter_id, {no_meter}),
           sum({sign} * round(r.quantity / (r.period_end - r.period_start + 1), 12)),
           sum({sign} * round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)),
           sum(CASE WHEN g.day::date = r.period_start THEN {sign} ELSE 0 END)
    FROM {rows} r,
         generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
    {where}
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, owner_id, day, kind, currency, meter_id) DO UPDATE
    SET quantity = d.quantity + EXCLUDED.quantity,
        cost_minor = d.cost_minor + EXCLUDED.cost_minor,
        records = d.records + EXCLUDED.records;

    INSERT INTO consumption_monthly AS m
        (tenant_id, owner_id, month, kind, currency, meter_id, quantity, cost_minor, records)
    SELECT r.tenant_id, r.owner_id, date_trunc('month', g.day)::date, r.kind, r.currency,
           coalesce(r.meter_id, {no_meter}),
           sum({sign} * round(r.quantity / (r.period_end - r.period_start + 1), 12)),
           sum({sign} * round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)),
           sum(CASE WHEN g.day::date = r.period_start THEN {sign} ELSE 0 END)
    FROM {rows} r,
         generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
    {where}
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tenant_id, owner_id, month, kind, currency, meter_id) DO UPDATE
    SET quantity = m.quantity + EXCLUDED.quantity,
        cost_minor = m.cost_minor + EXCLUDED.cost_minor,
        records = m.records + EXCLUDED.records;
"""
# Records deleted with their owner: the owner's roll-up rows go with the owner (FK cascade).
_OWNER_STILL_EXISTS = "WHERE EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = r.tenant_id AND u.id = r.owner_id)"

INSERTED = f"""
    CREATE OR REPLACE FUNCTION consumption_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_APPLY_SET.format(no_meter=NO_METER, sign=1, rows="inserted_rows", where="")}
        RETURN NULL;
    END $$"""

DELETED = f"""
    CREATE OR REPLACE FUNCTION consumption_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_APPLY_SET.format(no_meter=NO_METER, sign=-1, rows="deleted_rows", where=_OWNER_STILL_EXISTS)}
        -- Days and months nothing contributes to any more are removed, not kept as zeros.
        DELETE FROM consumption_daily d
        USING (SELECT tenant_id, owner_id, kind, currency, coalesce(meter_id, {NO_METER}) AS meter_id,
                      min(period_start) AS first_day, max(period_end) AS last_day
               FROM deleted_rows GROUP BY 1, 2, 3, 4, 5) k
        WHERE d.tenant_id = k.tenant_id AND d.owner_id = k.owner_id AND d.kind = k.kind
          AND d.currency = k.currency AND d.meter_id = k.meter_id
          AND d.day BETWEEN k.first_day AND k.last_day
          AND d.quantity = 0 AND d.cost_minor = 0 AND d.records = 0;
        DELETE FROM consumption_monthly m
        USING (SELECT tenant_id, owner_id, kind, currency, coalesce(meter_id, {NO_METER}) AS meter_id,
                      date_trunc('month', min(period_start))::date AS first_month, max(period_end) AS last_day
               FROM deleted_rows GROUP BY 1, 2, 3, 4, 5) k
        WHERE m.tenant_id = k.tenant_id AND m.owner_id = k.owner_id AND m.kind = k.kind
          AND m.currency = k.currency AND m.meter_id = k.meter_id
          AND m.month BETWEEN k.first_month AND k.last_day
          AND m.quantity = 0 AND m.cost_minor = 0 AND m.records = 0;
        RETURN NULL;
    END $$"""

ROW_TRIGGER = """
    CREATE TRIGGER consumption_rollup_write AFTER INSERT OR DELETE ON consumption_records
    FOR EACH ROW EXECUTE FUNCTION consumption_rollup()"""


def upgrade() -> None:
    op.create_table('imports',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('meter_id', sa.UUID(), nullable=True),
    sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('total_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('valid_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('duplicate_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('skip_duplicates', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('records_created', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('ready', 'committing', 'committed', 'reverting', 'reverted', 'failed')", name='ck_imports_state'),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name='ck_imports_progress'),
    sa.ForeignKeyConstraint(['tenant_id', 'owner_id'], ['users.tenant_id', 'users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    op.create_index('ix_imports_owner_created', 'imports', ['tenant_id', 'owner_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_imports_tenant_created', 'imports', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_table('import_errors',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.BigInteger(), nullable=False),
    sa.Column('column', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'import_id'], ['imports.tenant_id', 'imports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'import_id', 'seq')
    )
    op.create_table('import_rows',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('row_number', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=13, scale=3), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('cost_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('notes', sa.String(length=1000), nullable=True),
    sa.Column('cost_from_tariff', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('duplicate', sa.String(length=8), nullable=True),
    sa.CheckConstraint("duplicate IS NULL OR duplicate IN ('existing', 'file')", name='ck_import_rows_duplicate'),
    sa.ForeignKeyConstraint(['tenant_id', 'import_id'], ['imports.tenant_id', 'imports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'import_id', 'row_number')
    )
    for table in ("imports", "import_rows", "import_errors"):
        protect(op, table)
    op.add_column('consumption_records', sa.Column('import_id', sa.UUID(), nullable=True))
    op.create_index('ix_consumption_import', 'consumption_records', ['tenant_id', 'import_id'], unique=False,
                    postgresql_where='import_id IS NOT NULL')
    op.create_foreign_key('fk_consumption_import', 'consumption_records', 'imports',
                          ['tenant_id', 'import_id'], ['tenant_id', 'id'])
    # Inserts and deletes roll up once per statement (edits stay per row: they come one at a time).
    op.execute(INSERTED)
    op.execute(DELETED)
    op.execute("DROP TRIGGER consumption_rollup_write ON consumption_records")
    op.execute("""
        CREATE TRIGGER consumption_rollup_write AFTER INSERT ON consumption_records
        REFERENCING NEW TABLE AS inserted_rows
        FOR EACH STATEMENT EXECUTE FUNCTION consumption_rollup_inserted()""")
    op.execute("""
        CREATE TRIGGER consumption_rollup_delete AFTER DELETE ON consumption_records
        REFERENCING OLD TABLE AS deleted_rows
        FOR EACH STATEMENT EXECUTE FUNCTION consumption_rollup_deleted()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER consumption_rollup_delete ON consumption_records")
    op.execute("DROP TRIGGER consumption_rollup_write ON consumption_records")
    op.execute(ROW_TRIGGER)
    op.execute("DROP FUNCTION consumption_rollup_deleted()")
    op.execute("DROP FUNCTION consumption_rollup_inserted()")
    op.drop_constraint('fk_consumption_import', 'consumption_records', type_='foreignkey')
    op.drop_index('ix_consumption_import', table_name='consumption_records', postgresql_where='import_id IS NOT NULL')
    op.drop_column('consumption_records', 'import_id')
    op.drop_table('import_rows')
    op.drop_table('import_errors')
    op.drop_index('ix_imports_tenant_created', table_name='imports')
    op.drop_index('ix_imports_owner_created', table_name='imports')
    op.drop_table('imports')
