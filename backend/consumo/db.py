"""Database access: engines, the per-request session, and the tenant context for row-level security.

Two roles are involved. The *owner* (from `DATABASE_URL`) owns the tables and runs the
migrations. The API serves as the *app role* (`consumo_app` by default), which owns nothing
and cannot bypass row-level security, so every query it runs is filtered by the policies
on `app.tenant_id`, which this module sets transaction-locally from the verified caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from consumo.config import Settings, get_settings
from consumo.embedded import embedded_server_uri, ensure_database
from consumo.metrics import instrument_pool


class Base(DeclarativeBase):
    pass


TENANT_KEY = "tenant_id"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: URL
    app: URL


def _to_sqlalchemy_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def resolve_database_urls(settings: Settings) -> DatabaseUrls:
    """Where to connect: the configured server, or the embedded one (started on demand)."""
    if settings.database_url:
        owner = _to_sqlalchemy_url(settings.database_url)
    else:
        server = _to_sqlalchemy_url(embedded_server_uri(settings.embedded_data_dir))
        ensure_database(server.set(drivername="postgresql").render_as_string(hide_password=False),
                        settings.embedded_database)
        owner = server.set(database=settings.embedded_database)
    if settings.app_database_url:
        app = _to_sqlalchemy_url(settings.app_database_url)
    else:
        app = owner.set(username=settings.app_db_role, password=None)
    return DatabaseUrls(owner=owner, app=app)


def make_engine(url: URL, settings: Settings, *, pool_size: int | None = None) -> Engine:
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout_s,
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        "application_name": "consumo",
    }
    return create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=pool_size or settings.db_pool_size,
        pool_pre_ping=True,  # a restarted database is noticed at checkout, not by a user
        pool_timeout=settings.db_connect_timeout_s,
        pool_reset_on_return="rollback",  # drops any transaction-local tenant setting
        connect_args=connect_args,
    )


@lru_cache(maxsize=1)
def database_urls() -> DatabaseUrls:
    return resolve_database_urls(get_settings())


@lru_cache(maxsize=1)
def app_engine() -> Engine:
    engine = make_engine(database_urls().app, get_settings())
    instrument_pool(engine)
    return engine


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker[Session]:
    factory = sessionmaker(bind=app_engine(), expire_on_commit=False, autoflush=True)
    return factory


@event.listens_for(Session, "after_begin")
def _apply_tenant_context(session: Session, _transaction: Any, connection: Any) -> None:
    """Every transaction starts with the caller's tenant set for the RLS policies.

    `set_config(..., true)` is transaction-local: it ends with the transaction, so a
    pooled connection never carries one request's tenant into the next.
    """
    tenant_id = session.info.get(TENANT_KEY)
    connection.execute(
        text("SELECT set_config('app.tenant_id', :tenant_id, true)"),
        {"tenant_id": str(tenant_id) if tenant_id else ""},
    )


def bind_tenant(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope the session to a tenant, including the transaction already open, if any."""
    session.info[TENANT_KEY] = tenant_id
    if session.in_transaction():
        session.execute(
            text("SELECT set_config('app.tenant_id', :tenant_id, true)"),
            {"tenant_id": str(tenant_id)},
        )


@contextmanager
def standalone_session(tenant_id: uuid.UUID | None = None) -> Iterator[Session]:
    """A session outside any request (CLI, scripts); commits on success."""
    session = session_factory()()
    if tenant_id:
        session.info[TENANT_KEY] = tenant_id
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
