"""Row-level security for a tenant table, declared once for every migration.

`protect(op, table)` grants the app role its four verbs on the table and applies the tenant
policy the API relies on (consumo.db sets `app.tenant_id` at the start of every transaction).
FORCE makes the policy bind the table's owner too. tests/test_distribution_ready.py checks every
table of the live schema for it, so a new table cannot be left unprotected.
"""

from __future__ import annotations

from typing import Any

from consumo.config import get_settings

CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


ALL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def protect(op: Any, table: str, column: str = "tenant_id", verbs: tuple[str, ...] = ALL_VERBS) -> None:
    """`op`: Alembic's operations; `column`: the table's tenant key (`id` for `tenants`);
    `verbs`: what the app role may do (an append-only table grants only SELECT and INSERT)."""
    role = get_settings().app_db_role
    op.execute(f'GRANT {", ".join(verbs)} ON {table} TO "{role}"')
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({column} = {CURRENT_TENANT}) WITH CHECK ({column} = {CURRENT_TENANT})"
    )
