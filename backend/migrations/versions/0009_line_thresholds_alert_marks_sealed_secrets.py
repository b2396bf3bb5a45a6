"""a mobile line's own low-balance threshold; alert marks (an alert event fired once per period);
deferring a job under a queueing lock; webhook signing secrets encrypted at rest

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from consumo.config import get_settings
from consumo.jobs.schema import JOB_SCHEMA
from consumo.rls import protect
from consumo.security import sealing

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meters", sa.Column("low_balance_minor", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        "ck_meters_low_balance",
        "meters",
        "low_balance_minor IS NULL OR (kind = 'mobile_line' AND low_balance_minor >= 0)",
    )

    op.create_table(
        "alert_marks",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("alert_key", sa.String(length=120), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "alert_key", "period_start"),
    )
    protect(op, "alert_marks", verbs=("SELECT", "INSERT", "DELETE"))

    # consumo_defer_job with procrastinate's queueing lock: while a job holding `p_lock` waits
    # in the queue, another is not added (NULL is returned instead of its id), so a burst of
    # changes coalesces into one job. The savepoint of the EXCEPTION block keeps the caller's
    # transaction usable.
    role = get_settings().app_db_role
    op.execute(f"""
        CREATE FUNCTION consumo_defer_job_once(p_queue text, p_task text, p_lock text, p_args jsonb)
        RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = {JOB_SCHEMA}, pg_temp AS $$
        BEGIN
            RETURN (procrastinate_defer_jobs_v1(ARRAY[
                ROW(p_queue, p_task, 0, NULL, p_lock, p_args, NULL)::procrastinate_job_to_defer_v1
            ]))[1];
        EXCEPTION WHEN unique_violation THEN
            RETURN NULL;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION consumo_defer_job_once(text, text, text, jsonb) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION consumo_defer_job_once(text, text, text, jsonb) TO "{role}"')

    # Signing secrets sealed (Fernet, keys from WEBHOOK_SECRET_KEYS): a token is longer than
    # the secret. The owner reads every tenant's rows here (FORCE lifted for this transaction).
    op.alter_column("webhook_endpoints", "secret", type_=sa.String(length=500))
    op.alter_column("webhook_endpoints", "previous_secret", type_=sa.String(length=500))
    _rewrite_secrets(sealing.seal, only_prefix="whsec_")


def _rewrite_secrets(change, only_prefix: str | None) -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("ALTER TABLE webhook_endpoints NO FORCE ROW LEVEL SECURITY")
    rows = bind.execute(sa.text("SELECT tenant_id, id, secret, previous_secret FROM webhook_endpoints")).all()
    for tenant_id, endpoint_id, secret, previous in rows:
        def rewritten(value):
            if value is None or (only_prefix is not None and not value.startswith(only_prefix)):
                return value
            return change(value)

        bind.execute(
            sa.text("UPDATE webhook_endpoints SET secret = :s, previous_secret = :p WHERE tenant_id = :t AND id = :i"),
            {"s": rewritten(secret), "p": rewritten(previous), "t": tenant_id, "i": endpoint_id},
        )
    bind.exec_driver_sql("ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    _rewrite_secrets(sealing.unseal, only_prefix=None)
    op.alter_column("webhook_endpoints", "previous_secret", type_=sa.String(length=100))
    op.alter_column("webhook_endpoints", "secret", type_=sa.String(length=100))
    op.execute("DROP FUNCTION IF EXISTS consumo_defer_job_once(text, text, text, jsonb)")
    op.drop_table("alert_marks")
    op.drop_constraint("ck_meters_low_balance", "meters", type_="check")
    op.drop_column("meters", "low_balance_minor")
