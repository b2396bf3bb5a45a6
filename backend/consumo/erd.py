"""Render the relational diagram (Mermaid) from the models: `python -m consumo.erd`.

`docs/erd.md` is generated, and a test fails when it no longer matches the models."""

from __future__ import annotations

from consumo import models_registry  # noqa: F401  (registers every model)
from consumo.config import BACKEND_DIR
from consumo.db import Base

ERD_PATH = BACKEND_DIR.parent / "docs" / "erd.md"


def _type_name(column: object) -> str:
    name = type(getattr(column, "type", None)).__name__.lower()
    return {"uuid": "uuid", "string": "varchar", "numeric": "numeric", "datetime": "timestamptz"}.get(name, name)


def render_erd() -> str:
    lines = [
        "# Consumo — relational diagram",
        "",
        "Generated from the SQLAlchemy models by `make erd` (`python -m consumo.erd`); a test",
        "fails when it drifts. Every tenant-owned table has `tenant_id` in its primary key and in",
        "its foreign keys, and row-level security on `app.tenant_id`.",
        "",
        "```mermaid",
        "erDiagram",
    ]
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        lines.append(f"    {table.name} {{")
        foreign = {element.parent.name for fk in table.foreign_key_constraints for element in fk.elements}
        for column in table.columns:
            keys = [k for k, on in (("PK", column.primary_key), ("FK", column.name in foreign)) if on]
            suffix = f" {','.join(keys)}" if keys else ""
            lines.append(f"        {_type_name(column)} {column.name}{suffix}")
        lines.append("    }")
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        for fk in sorted(table.foreign_key_constraints, key=lambda f: f.referred_table.name):
            columns = ", ".join(element.parent.name for element in fk.elements)
            lines.append(f'    {fk.referred_table.name} ||--o{{ {table.name} : "{columns}"')
    lines.extend(["```", ""])
    return "\n".join(lines)


if __name__ == "__main__":
    ERD_PATH.parent.mkdir(parents=True, exist_ok=True)
    ERD_PATH.write_text(render_erd())
    print(f"wrote {ERD_PATH}")
