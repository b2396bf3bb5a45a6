"""an upload too large to check in its request is stored (import_uploads) and checked by a job:
imports gain the states `validating` and `rejected`, and the size of their stored file

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from consumo.rls import protect

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_STATES = "('ready', 'committing', 'committed', 'reverting', 'reverted', 'failed')"
NEW_STATES = "('validating', 'rejected', 'ready', 'committing', 'committed', 'reverting', 'reverted', 'failed')"


def upgrade() -> None:
    op.drop_constraint('ck_imports_state', 'imports', type_='check')
    op.create_check_constraint('ck_imports_state', 'imports', f"state IN {NEW_STATES}")
    op.add_column('imports', sa.Column('upload_bytes', sa.BigInteger(), server_default='0', nullable=False))
    # The file, in pieces of up to a mebibyte, as it arrived; deleted once the job has read it.
    op.create_table('import_uploads',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('import_id', sa.UUID(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'import_id'], ['imports.tenant_id', 'imports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'import_id', 'seq')
    )
    # Stored as it is: compressing a CSV piece costs more CPU than the disk it saves for minutes.
    op.execute("ALTER TABLE import_uploads ALTER COLUMN data SET STORAGE EXTERNAL")
    protect(op, 'import_uploads')


def downgrade() -> None:
    op.drop_table('import_uploads')
    op.execute(
        "UPDATE imports SET state = 'failed', failure = 'The file was not checked before a downgrade; upload it again.'"
        " WHERE state IN ('validating', 'rejected')"
    )
    op.drop_column('imports', 'upload_bytes')
    op.drop_constraint('ck_imports_state', 'imports', type_='check')
    op.create_check_constraint('ck_imports_state', 'imports', f"state IN {OLD_STATES}")
