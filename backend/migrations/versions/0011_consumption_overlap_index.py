"""an index for finding overlapping records: same owner, kind and meter (or none), by period start

Revision ID: 0011
Revises: 0008
"""

from alembic import op

revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The overlap probe (consumptions.service._overlaps_with) compares meters through COALESCE,
    # so "both on no meter" is an equality; period_end is included so the probe reads no heap.
    op.execute(
        "CREATE INDEX ix_consumption_overlap ON consumption_records "
        "(tenant_id, owner_id, kind, coalesce(meter_id, '00000000-0000-0000-0000-000000000000'::uuid), period_start) "
        "INCLUDE (period_end)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_consumption_overlap")
