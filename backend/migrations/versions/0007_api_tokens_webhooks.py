"""personal API tokens; webhooks, their deliveries and the job queue (procrastinate)

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from consumo.rls import protect

revision = '0007'
down_revision = '0005'
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


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS consumo_open_token_request(uuid, text, text)")
    op.drop_table("api_tokens")
