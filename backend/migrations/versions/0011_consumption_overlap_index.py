"""indexes for finding overlapping records: same owner, kind and meter (or none), by period start;
and the long periods (31 days or more) alone

Revision ID: 0011
Revises: 0008
"""

from alembic import op

revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None

GROUP = "tenant_id, owner_id, kind, coalesce(meter_id, '00000000-0000-0000-0000-000000000000'::uuid), period_start"


def upgrade() -> None:
    # The overlap probe (consumptions.service._overlap_parts) compares meters through COALESCE,
    # so "both on no meter" is an equality; period_end is included so the probe reads no heap.
    op.execute(f"CREATE INDEX ix_consumption_overlap ON consumption_records ({GROUP}) INCLUDE (period_end)")
    op.execute(
        f"CREATE INDEX ix_consumption_overlap_long ON consumption_records ({GROUP}) INCLUDE (period_end) "
        "WHERE period_end - period_start >= 31"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_consumption_overlap_long")
    op.execute("DROP INDEX ix_consumption_overlap")
