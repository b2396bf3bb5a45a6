"""Alembic owns the schema: the models and the migrations agree, and the ERD is current."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from consumo.config import BACKEND_DIR
from consumo.erd import ERD_PATH, render_erd


def test_models_and_migrations_agree(database_url):
    # Raises if autogenerate would produce any operation.
    command.check(Config(str(BACKEND_DIR / "alembic.ini")))


def test_the_committed_erd_matches_the_models():
    assert ERD_PATH.read_text() == render_erd(), "run `make erd` and commit docs/erd.md"


def test_migration_0009_seals_existing_signing_secrets_and_its_downgrade_opens_them(server_url, database_url):
    """A database of 0008 with a plaintext secret: 0009 seals it (and a rotation's previous one)
    under the configured key; the downgrade writes them back as they were."""
    import uuid

    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from consumo.db import _to_sqlalchemy_url
    from consumo.security import sealing

    admin = make_url(server_url).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    name = f"consumo_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = admin.set(database=name).render_as_string(hide_password=False)
    config = Config(str(BACKEND_DIR / "alembic.ini"))
    config.attributes["owner_url"] = str(_to_sqlalchemy_url(dsn).render_as_string(hide_password=False))
    tenant, endpoint = uuid.uuid4(), uuid.uuid4()
    secret, previous = "whsec_" + "A" * 43 + "=", "whsec_" + "B" * 43 + "="

    def stored() -> tuple[str, str]:
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT secret, previous_secret FROM webhook_endpoints").fetchone()
        assert row is not None
        return row[0], row[1]

    try:
        command.upgrade(config, "0008")
        with psycopg.connect(dsn) as conn:
            conn.execute("INSERT INTO tenants (id, name) VALUES (%s, 'T')", (tenant,))
            conn.execute(
                "INSERT INTO webhook_endpoints (tenant_id, id, url, event_types, secret, previous_secret,"
                " created_by, updated_by) VALUES (%s, %s, 'https://example.com/h', '{meter.created}', %s, %s, %s, %s)",
                (tenant, endpoint, secret, previous, tenant, tenant),
            )
        command.upgrade(config, "head")
        sealed, sealed_previous = stored()
        assert "whsec_" not in sealed and "whsec_" not in sealed_previous
        assert (sealing.unseal(sealed), sealing.unseal(sealed_previous)) == (secret, previous)
        command.downgrade(config, "0008")
        assert stored() == (secret, previous)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
