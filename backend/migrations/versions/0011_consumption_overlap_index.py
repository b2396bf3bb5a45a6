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

# No meter in the key: under row-level security the planner does not use a COALESCE(meter_id)
# comparison as an index condition (nor, then, the period after it). The meter is included, so
# comparing it reads no heap either.
GROUP = "tenant_id, owner_id, kind, period_start"


def upgrade() -> None:
    # The overlap probe (consumptions.service._overlap_parts): index-only range scans.
    op.execute(f"CREATE INDEX ix_consumption_overlap ON consumption_records ({GROUP}) INCLUDE (period_end, meter_id)")
    op.execute(
        f"CREATE INDEX ix_consumption_overlap_long ON consumption_records ({GROUP}) INCLUDE (period_end, meter_id) "
        "WHERE period_end - period_start >= 31"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_consumption_overlap_long")
    op.execute("DROP INDEX ix_consumption_overlap")
