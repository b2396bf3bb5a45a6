"""Database access: engines, the per-request session, and the tenant context for row-level security.

Two roles are involved. The *owner* (from `DATABASE_URL`) owns the tables and runs the
migrations. The API serves as the *app role* (`consumo_app` by default), which owns nothing
and cannot bypass row-level security, so every query it runs is filtered by the policies
on `app.tenant_id`, which this module sets transaction-locally from the verified caller.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from consumo.config import Settings, get_settings
from consumo.embedded import embedded_server_uri, ensure_database
from consumo.metrics import instrument_pool
from consumo.problems import Conflict, FieldError


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
        ensure_database(
            server.set(drivername="postgresql").render_as_string(hide_password=False), settings.embedded_database
        )
        owner = server.set(database=settings.embedded_database)
    if settings.app_database_url:
        app = _to_sqlalchemy_url(settings.app_database_url)
    else:
        app = owner.set(username=settings.app_db_role, password=None)
    return DatabaseUrls(owner=owner, app=app)


# A pooled connection idle longer than this is pinged before it is handed out. A connection in
# steady use is not: a ping per request would be a round trip per request (pool_pre_ping).
PING_AFTER_IDLE_S = 10.0


def make_engine(url: URL, settings: Settings, *, pool_size: int | None = None) -> Engine:
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout_s,
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        "application_name": "consumo",
    }
    engine = create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=pool_size or settings.db_pool_size,
        pool_timeout=settings.db_connect_timeout_s,
        pool_reset_on_return="rollback",  # drops any transaction-local tenant setting
        connect_args=connect_args,
    )
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    return engine


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection that sat idle may have been closed by a restarted database or a proxy:
    ping it, and if it is dead let the pool replace it (DisconnectionError makes the pool try
    another). A connection in use moments ago is handed out as it is; if the database went away
    since, the request fails with a clean 503 and the pool drops every connection of that era."""
    if time.monotonic() - record.info.get("checked_in_at", 0.0) < PING_AFTER_IDLE_S:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:  # any failure means this connection cannot serve
        raise DisconnectionError("idle connection failed its ping") from exc


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


CALLER_KEY = "caller"
CALLER_STATE_KEY = "caller_state"
_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant_id, true)")
_OPEN_REQUEST = text("SELECT * FROM consumo_open_request(:tenant_id, :user_id, :session_id)")


def _open_request(execute: Callable[..., Any], caller: tuple[uuid.UUID, uuid.UUID, uuid.UUID]) -> Any:
    """Set the caller's tenant and read their token's state, in one statement."""
    tenant_id, user_id, session_id = caller
    return execute(_OPEN_REQUEST, {"tenant_id": tenant_id, "user_id": user_id, "session_id": session_id}).first()


@event.listens_for(Session, "after_begin")
def _apply_tenant_context(session: Session, _transaction: Any, connection: Any) -> None:
    """Every transaction starts with the caller's tenant set for the RLS policies.

    `set_config(..., true)` is transaction-local: it ends with the transaction, so a
    pooled connection never carries one request's tenant into the next. For an authenticated
    caller the same statement also reads their token's state (`open_caller_transaction`).
    """
    caller = session.info.get(CALLER_KEY)
    if caller is not None:
        session.info[CALLER_STATE_KEY] = _open_request(connection.execute, caller)
        return
    tenant_id = session.info.get(TENANT_KEY)
    connection.execute(_SET_TENANT, {"tenant_id": str(tenant_id) if tenant_id else ""})


def bind_tenant(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope the session to a tenant, including the transaction already open, if any."""
    session.info[TENANT_KEY] = tenant_id
    if session.in_transaction():
        session.execute(_SET_TENANT, {"tenant_id": str(tenant_id)})


@contextmanager
def tenant_connection(tenant_id: uuid.UUID, *, statement_timeout_ms: int | None = None) -> Iterator[Connection]:
    """A connection of the app role, outside any request's session, in a transaction scoped to
    `tenant_id` for row-level security (for work that outlives a request: a streamed export,
    an import's commit). `statement_timeout_ms` replaces the request timeout for this transaction."""
    with app_engine().connect() as connection, connection.begin():
        connection.execute(_SET_TENANT, {"tenant_id": str(tenant_id)})
        if statement_timeout_ms is not None:
            connection.execute(
                text("SELECT set_config('statement_timeout', :timeout, true)"), {"timeout": str(statement_timeout_ms)}
            )
        yield connection


def open_caller_transaction(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID) -> Any:
    """Scope the session to an authenticated caller and return their token's state (role,
    is_active, token_version, revoked_at, expires_at, time_zone, default_currency; None when the user or the
    session is gone), read in the same statement that sets the tenant."""
    session.info[TENANT_KEY] = tenant_id
    session.info[CALLER_KEY] = (tenant_id, user_id, session_id)
    if session.in_transaction():
        session.info[CALLER_STATE_KEY] = _open_request(session.execute, session.info[CALLER_KEY])
    else:
        session.connection()  # begins: _apply_tenant_context runs the statement
    return session.info[CALLER_STATE_KEY]


_OPEN_TOKEN_REQUEST = text("SELECT * FROM consumo_open_token_request(:tenant_id, :token_hash, :ip)")


def open_token_transaction(session: Session, tenant_id: uuid.UUID, token_hash: str, ip: str | None) -> Any:
    """Scope the session to the tenant named by a personal API token and return the token's
    state (token_id, user_id, can_write, expires_at, role, is_active, time_zone,
    default_currency; None when no such token), noting its use (time and address)."""
    session.info[TENANT_KEY] = tenant_id
    params = {"tenant_id": tenant_id, "token_hash": token_hash, "ip": ip}
    return session.execute(_OPEN_TOKEN_REQUEST, params).first()


def flush_unique(session: Session, conflicts: Mapping[str, FieldError | tuple[str, str]]) -> None:
    """Flush; a unique violation of a constraint named in `conflicts` (name → the field error:
    field, message and its code), even one caused by a concurrent request, becomes a 409 on that
    field. Other errors propagate. A bare (field, message) pair takes the code `value.taken`."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        if constraint not in conflicts:
            raise
        taken = conflicts[constraint]
        if isinstance(taken, tuple):
            taken = {"field": taken[0], "message": taken[1], "code": "value.taken"}
        raise Conflict(taken["message"], field=taken["field"], code=taken.get("code", "value.taken")) from None
