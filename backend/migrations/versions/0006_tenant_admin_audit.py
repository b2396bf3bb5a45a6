"""tenant administration (versions, former members, invitations) and the audit trail

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from consumo.config import get_settings
from consumo.rls import protect

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tenants', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column(
        'tenants', sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False)
    )
    op.add_column('users', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('users', sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'invitations',
        sa.Column('tenant_id', sa.UUID(), nullable=False),
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by', sa.UUID(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_user_id', sa.UUID(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'member', 'viewer')", name='ck_invitations_role'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', 'id'),
    )
    op.create_index('ix_invitations_newest', 'invitations', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('uq_invitations_token_hash', 'invitations', ['tenant_id', 'token_hash'], unique=True)
    protect(op, 'invitations')

    op.create_table(
        'audit_events',
        sa.Column('tenant_id', sa.UUID(), nullable=False),
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('actor_user_id', sa.UUID(), nullable=True),
        sa.Column('actor_token_id', sa.UUID(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('entity_type', sa.String(length=64), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=True),
        sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
        sa.Column('request_id', sa.String(length=128), nullable=True),
        sa.Column('client_ip', postgresql.INET(), nullable=True),
        sa.Column('user_agent', sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', 'id'),
    )
    op.create_index('ix_audit_events_newest', 'audit_events', ['tenant_id', 'seq'], unique=False)
    # Append-only for the app role: it may insert and read events, never change or delete one.
    protect(op, 'audit_events', verbs=('SELECT', 'INSERT'))
    role = get_settings().app_db_role
    op.execute(f'GRANT USAGE ON SEQUENCE audit_events_seq_seq TO "{role}"')
    # Retention (`consumo audit-prune`) runs as the owner that migrates, across every tenant.
    op.execute('CREATE POLICY audit_retention ON audit_events FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true)')


def downgrade() -> None:
    op.drop_index('ix_audit_events_newest', table_name='audit_events')
    op.drop_table('audit_events')
    op.drop_index('uq_invitations_token_hash', table_name='invitations')
    op.drop_index('ix_invitations_newest', table_name='invitations')
    op.drop_table('invitations')
    op.drop_column('users', 'removed_at')
    op.drop_column('users', 'version')
    op.drop_column('tenants', 'updated_at')
    op.drop_column('tenants', 'version')
