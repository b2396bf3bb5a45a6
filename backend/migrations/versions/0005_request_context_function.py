"""one statement opens a request: tenant context and token state; refresh hashes unique per tenant

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every authenticated request used to spend two round trips before its own query: one to
    # set the tenant for row-level security, one to check that the token still holds. This
    # function does both in one. It runs with the caller's rights (not SECURITY DEFINER), so
    # the lookup goes through the same policies, with the tenant it has just set.
    op.execute("""
        CREATE FUNCTION consumo_open_request(p_tenant uuid, p_user uuid, p_session uuid)
        RETURNS TABLE (role text, is_active boolean, token_version integer, revoked_at timestamptz,
                       expires_at timestamptz, time_zone text, default_currency text)
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
        BEGIN
            PERFORM set_config('app.tenant_id', p_tenant::text, true);
            RETURN QUERY
                SELECT u.role::text, u.is_active, u.token_version, s.revoked_at, s.expires_at, t.time_zone::text,
                       t.default_currency::text
                FROM users u
                JOIN auth_sessions s ON s.tenant_id = u.tenant_id AND s.user_id = u.id
                JOIN tenants t ON t.id = u.tenant_id
                WHERE u.tenant_id = p_tenant AND u.id = p_user AND s.id = p_session;
        END $$""")


    # A refresh token carries its tenant, so its hash need only be unique within the tenant:
    # the index keeps the tenant in front, as every unique index must for distribution by tenant.
    op.drop_index("uq_refresh_tokens_hash", table_name="refresh_tokens")
    op.create_index("uq_refresh_tokens_hash", "refresh_tokens", ["tenant_id", "token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_refresh_tokens_hash", table_name="refresh_tokens")
    op.create_index("uq_refresh_tokens_hash", "refresh_tokens", ["token_hash"], unique=True)
    op.execute("DROP FUNCTION IF EXISTS consumo_open_request(uuid, uuid, uuid)")
