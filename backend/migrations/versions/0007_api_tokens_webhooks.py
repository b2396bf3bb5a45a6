"""personal API tokens; webhooks, their deliveries and the job queue (procrastinate)

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from consumo.config import get_settings
from consumo.jobs.schema import JOB_SCHEMA, procrastinate_schema_sql
from consumo.rls import protect

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index("uq_api_tokens_hash", "api_tokens", ["tenant_id", "token_hash"], unique=True)
    op.create_index("ix_api_tokens_user", "api_tokens", ["tenant_id", "user_id", "created_at", "id"])
    protect(op, "api_tokens")
    # Like consumo_open_request for a login session: one statement sets the tenant, reads the
    # token's and its user's state, and notes the use (at most once a minute per address, so a
    # busy script does not write on every request). Runs with the caller's rights, under RLS.
    op.execute("""
        CREATE FUNCTION consumo_open_token_request(p_tenant uuid, p_hash text, p_ip text)
        RETURNS TABLE (token_id uuid, user_id uuid, can_write boolean, expires_at timestamptz, role text,
                       is_active boolean, time_zone text, default_currency text)
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
        BEGIN
            PERFORM set_config('app.tenant_id', p_tenant::text, true);
            UPDATE api_tokens a SET last_used_at = now(), last_used_ip = p_ip
            WHERE a.tenant_id = p_tenant AND a.token_hash = p_hash
              AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute'
                   OR a.last_used_ip IS DISTINCT FROM p_ip);
            RETURN QUERY
                SELECT a.id, a.user_id, a.can_write, a.expires_at, u.role::text, u.is_active,
                       t.time_zone::text, t.default_currency::text
                FROM api_tokens a
                JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
                JOIN tenants t ON t.id = a.tenant_id
                WHERE a.tenant_id = p_tenant AND a.token_hash = p_hash;
        END $$""")

    _webhooks()
    _job_queue()


def _webhooks() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index("ix_webhook_endpoints_created", "webhook_endpoints", ["tenant_id", "created_at", "id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("endpoint_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint", "webhook_deliveries", ["tenant_id", "endpoint_id", "created_at", "id"]
    )
    protect(op, "webhook_endpoints")
    protect(op, "webhook_deliveries")


def _job_queue() -> None:
    """procrastinate's own schema, in a schema of its own: its tables are the queue, not tenant
    data (no RLS, not distributed). Its functions get a fixed search_path so they work from any
    connection. The API never touches them directly: it defers jobs through
    consumo_defer_job (SECURITY DEFINER), on its own connection, inside its own transaction."""
    role = get_settings().app_db_role
    bind = op.get_bind()
    op.execute(f"CREATE SCHEMA {JOB_SCHEMA}")
    search_path = bind.exec_driver_sql("SHOW search_path").scalar_one()
    bind.exec_driver_sql(f"SET LOCAL search_path TO {JOB_SCHEMA}")
    bind.exec_driver_sql(procrastinate_schema_sql().replace("%", "%%"))  # no parameters: % is literal
    bind.exec_driver_sql(f"SET LOCAL search_path TO {search_path}")
    op.execute(f"""
        DO $$ DECLARE f record; BEGIN
            FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '{JOB_SCHEMA}'
            LOOP
                EXECUTE format('ALTER FUNCTION %s SET search_path = {JOB_SCHEMA}, pg_temp', f.sig);
            END LOOP;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION consumo_defer_job(p_queue text, p_task text, p_args jsonb, p_at timestamptz)
        RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = {JOB_SCHEMA}, pg_temp AS $$
            SELECT (procrastinate_defer_jobs_v1(ARRAY[
                ROW(p_queue, p_task, 0, NULL, NULL, p_args, p_at)::procrastinate_job_to_defer_v1
            ]))[1]
        $$""")
    op.execute("REVOKE ALL ON FUNCTION consumo_defer_job(text, text, jsonb, timestamptz) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION consumo_defer_job(text, text, jsonb, timestamptz) TO "{role}"')


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS consumo_defer_job(text, text, jsonb, timestamptz)")
    op.execute(f"DROP SCHEMA IF EXISTS {JOB_SCHEMA} CASCADE")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.execute("DROP FUNCTION IF EXISTS consumo_open_token_request(uuid, text, text)")
    op.drop_table("api_tokens")
