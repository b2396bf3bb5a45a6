"""Alembic runs as the owner role: it creates the tables, the app role and the RLS policies."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from consumo import models_registry  # noqa: F401  (registers every model on Base.metadata)
from consumo.db import Base, database_urls

config = context.config


def _url() -> str:
    explicit = config.attributes.get("owner_url")
    if explicit:
        return str(explicit)
    return database_urls().owner.render_as_string(hide_password=False)


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=Base.metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
