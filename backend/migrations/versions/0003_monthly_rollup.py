"""Monthly roll-up (consumption_monthly), kept by the same trigger as the daily one

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from consumo.rls import protect

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPLY_DAILY_ONLY = """
    CREATE OR REPLACE FUNCTION consumption_rollup_apply(r consumption_records, sign integer) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO consumption_daily AS d
            (tenant_id, owner_id, day, kind, currency, quantity, cost_minor, records)
        SELECT r.tenant_id, r.owner_id, g.day::date, r.kind, r.currency,
               sign * round(r.quantity / (r.period_end - r.period_start + 1), 12),
               sign * round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12),
               CASE WHEN g.day::date = r.period_start THEN sign ELSE 0 END
        FROM generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
        ON CONFLICT (tenant_id, owner_id, day, kind, currency) DO UPDATE
        SET quantity = d.quantity + EXCLUDED.quantity,
            cost_minor = d.cost_minor + EXCLUDED.cost_minor,
            records = d.records + EXCLUDED.records
    $$"""


def upgrade() -> None:
    op.create_table('consumption_monthly',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('owner_id', sa.UUID(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=30, scale=12), nullable=False),
    sa.Column('cost_minor', sa.Numeric(precision=30, scale=12), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'owner_id'], ['users.tenant_id', 'users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'owner_id', 'month', 'kind', 'currency')
    )
    op.create_index('ix_consumption_monthly_tenant_month', 'consumption_monthly', ['tenant_id', 'month'],
                    unique=False)
    protect(op, "consumption_monthly")
    # The same per-day contributions, summed per month: a month's row always equals the sum
    # of its days in consumption_daily, exactly.
    op.execute("""
        CREATE OR REPLACE FUNCTION consumption_rollup_apply(r consumption_records, sign integer) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO consumption_daily AS d
                (tenant_id, owner_id, day, kind, currency, quantity, cost_minor, records)
            SELECT r.tenant_id, r.owner_id, g.day::date, r.kind, r.currency,
                   sign * round(r.quantity / (r.period_end - r.period_start + 1), 12),
                   sign * round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12),
                   CASE WHEN g.day::date = r.period_start THEN sign ELSE 0 END
            FROM generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
            ON CONFLICT (tenant_id, owner_id, day, kind, currency) DO UPDATE
            SET quantity = d.quantity + EXCLUDED.quantity,
                cost_minor = d.cost_minor + EXCLUDED.cost_minor,
                records = d.records + EXCLUDED.records;

            INSERT INTO consumption_monthly AS m
                (tenant_id, owner_id, month, kind, currency, quantity, cost_minor, records)
            SELECT r.tenant_id, r.owner_id, date_trunc('month', g.day)::date, r.kind, r.currency,
                   sum(sign * round(r.quantity / (r.period_end - r.period_start + 1), 12)),
                   sum(sign * round(coalesce(r.cost_minor, 0)::numeric / (r.period_end - r.period_start + 1), 12)),
                   sum(CASE WHEN g.day::date = r.period_start THEN sign ELSE 0 END)
            FROM generate_series(r.period_start::timestamp, r.period_end::timestamp, interval '1 day') AS g(day)
            GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT (tenant_id, owner_id, month, kind, currency) DO UPDATE
            SET quantity = m.quantity + EXCLUDED.quantity,
                cost_minor = m.cost_minor + EXCLUDED.cost_minor,
                records = m.records + EXCLUDED.records;
        $$""")
    op.execute("""
        CREATE OR REPLACE FUNCTION consumption_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                -- A record deleted because its owner is being deleted: the owner's roll-up
                -- rows go with the owner (FK cascade); adding to them would orphan rows.
                IF EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = OLD.tenant_id AND u.id = OLD.owner_id) THEN
                    PERFORM consumption_rollup_apply(OLD, -1);
                    -- Days and months nothing contributes to any more are removed, not kept as zeros.
                    DELETE FROM consumption_daily d
                    WHERE d.tenant_id = OLD.tenant_id AND d.owner_id = OLD.owner_id AND d.kind = OLD.kind
                      AND d.currency = OLD.currency AND d.day BETWEEN OLD.period_start AND OLD.period_end
                      AND d.quantity = 0 AND d.cost_minor = 0 AND d.records = 0;
                    DELETE FROM consumption_monthly m
                    WHERE m.tenant_id = OLD.tenant_id AND m.owner_id = OLD.owner_id AND m.kind = OLD.kind
                      AND m.currency = OLD.currency
                      AND m.month BETWEEN date_trunc('month', OLD.period_start)::date AND OLD.period_end
                      AND m.quantity = 0 AND m.cost_minor = 0 AND m.records = 0;
                END IF;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM consumption_rollup_apply(NEW, 1);
            END IF;
            RETURN NULL;
        END $$""")
    # Months of the records written before this migration, from the daily roll-up.
    op.execute("ALTER TABLE consumption_daily NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE consumption_monthly NO FORCE ROW LEVEL SECURITY")
    op.execute("""
        INSERT INTO consumption_monthly (tenant_id, owner_id, month, kind, currency, quantity, cost_minor, records)
        SELECT tenant_id, owner_id, date_trunc('month', day)::date, kind, currency,
               sum(quantity), sum(cost_minor), sum(records)
        FROM consumption_daily GROUP BY 1, 2, 3, 4, 5""")
    op.execute("ALTER TABLE consumption_daily FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE consumption_monthly FORCE ROW LEVEL SECURITY")


TRIGGER_DAILY_ONLY = """
    CREATE OR REPLACE FUNCTION consumption_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = OLD.tenant_id AND u.id = OLD.owner_id) THEN
                PERFORM consumption_rollup_apply(OLD, -1);
                DELETE FROM consumption_daily d
                WHERE d.tenant_id = OLD.tenant_id AND d.owner_id = OLD.owner_id AND d.kind = OLD.kind
                  AND d.currency = OLD.currency AND d.day BETWEEN OLD.period_start AND OLD.period_end
                  AND d.quantity = 0 AND d.cost_minor = 0 AND d.records = 0;
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM consumption_rollup_apply(NEW, 1);
        END IF;
        RETURN NULL;
    END $$"""


def downgrade() -> None:
    op.execute(APPLY_DAILY_ONLY)
    op.execute(TRIGGER_DAILY_ONLY)
    op.drop_index('ix_consumption_monthly_tenant_month', table_name='consumption_monthly')
    op.drop_table('consumption_monthly')
