"""every stored day is a day of the contract (2000-01-01 to 2100-12-31): a CHECK on the days of
records, staged import rows, tariffs and readings, so that no write path can store a day that
an answer could not hold

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, constraint, columns): the days the API returns. The roll-ups' days and months and the
# alerts' periods are derived from these, so they hold no other days.
CHECKS = (
    ("consumption_records", "ck_consumption_days", ("period_start", "period_end")),
    ("import_rows", "ck_import_rows_days", ("period_start", "period_end")),
    ("meter_tariffs", "ck_meter_tariffs_days", ("valid_from",)),
    ("meter_readings", "ck_meter_readings_days", ("reading_date",)),
)


def upgrade() -> None:
    for table, name, columns in CHECKS:
        condition = " AND ".join(f"{column} BETWEEN '2000-01-01' AND '2100-12-31'" for column in columns)
        # Added without a scan under the exclusive lock, then validated under a lock that lets
        # reads and writes go on.
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        op.drop_constraint(name, table, type_="check")
