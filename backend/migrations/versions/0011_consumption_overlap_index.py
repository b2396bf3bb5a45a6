"""overlapping records: indexes by owner, kind and period start (and of the long periods alone), and
the function that counts a record's overlaps with them

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# No meter in the key: under row-level security the planner does not use a COALESCE(meter_id)
# comparison as an index condition (nor, then, the period after it). The meter is included, so
# comparing it reads no heap either.
GROUP = "tenant_id, owner_id, kind, period_start"

# How many other records overlap one (same owner, kind and meter or both none, periods sharing a
# day), counted up to `cap`, in three index range scans that read few records that cannot match:
#   1. others starting within its period (every one overlaps it);
#   2. others starting up to 31 days before it and still running when it starts;
#   3. others starting earlier (a period spans at most 366 days): only long periods (31 days or
#      more) can, and ix_consumption_overlap_long holds only those.
# A function, not a subquery in the caller's statement: there the bounds `start - 31` are date
# arithmetic on the outer row, which under row-level security the planner will not use as index
# conditions (date arithmetic is not leakproof), so each part would read the owner's whole history
# of that kind. Here they are computed from parameters. SECURITY INVOKER (the default): the caller's
# row-level security applies inside.
COUNT_OVERLAPS = """
CREATE FUNCTION consumption_overlaps(p_tenant uuid, p_owner uuid, p_kind text, p_meter uuid,
                                     p_id uuid, p_start date, p_end date, cap integer)
RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT least(cap,
        (SELECT count(*) FROM (
            SELECT 1 FROM consumption_records o
            WHERE o.tenant_id = p_tenant AND o.owner_id = p_owner AND o.kind = p_kind
              AND o.period_start BETWEEN p_start AND p_end AND o.id <> p_id
              AND o.meter_id IS NOT DISTINCT FROM p_meter
            LIMIT cap) AS starting_within)
      + (SELECT count(*) FROM (
            SELECT 1 FROM consumption_records o
            WHERE o.tenant_id = p_tenant AND o.owner_id = p_owner AND o.kind = p_kind
              AND o.period_start BETWEEN p_start - 31 AND p_start - 1 AND o.period_end >= p_start
              AND o.meter_id IS NOT DISTINCT FROM p_meter
            LIMIT cap) AS starting_the_month_before)
      + (SELECT count(*) FROM (
            SELECT 1 FROM consumption_records o
            WHERE o.tenant_id = p_tenant AND o.owner_id = p_owner AND o.kind = p_kind
              AND o.period_start BETWEEN p_start - 365 AND p_start - 32 AND o.period_end >= p_start
              AND o.period_end - o.period_start >= 31
              AND o.meter_id IS NOT DISTINCT FROM p_meter
            LIMIT cap) AS long_ones_starting_earlier))::integer
$$
"""


def upgrade() -> None:
    op.execute(f"CREATE INDEX ix_consumption_overlap ON consumption_records ({GROUP}) INCLUDE (period_end, meter_id)")
    op.execute(
        f"CREATE INDEX ix_consumption_overlap_long ON consumption_records ({GROUP}) INCLUDE (period_end, meter_id) "
        "WHERE period_end - period_start >= 31"
    )
    op.execute(COUNT_OVERLAPS)


def downgrade() -> None:
    op.execute("DROP FUNCTION consumption_overlaps(uuid, uuid, text, uuid, uuid, date, date, integer)")
    op.execute("DROP INDEX ix_consumption_overlap_long")
    op.execute("DROP INDEX ix_consumption_overlap")
