"""Test fixtures: a real PostgreSQL, migrated once; every test starts from empty tables.

The server is `TEST_DATABASE_URL` when set, otherwise an embedded PostgreSQL (pgserver)
in a temporary folder. Each run creates its own database on it and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

TEST_ENV = {
    "ENVIRONMENT": "test",
    "JWT_SECRET": secrets.token_urlsafe(48),
    "ARGON2_TIME_COST": "1",
    "ARGON2_MEMORY_COST_KIB": "1024",
    "ARGON2_PARALLELISM": "1",
    "VALIDATE_RESPONSES": "true",
    "REFRESH_COOKIE_SECURE": "false",  # the test client speaks plain http
    "LOGIN_RATE_LIMIT": "1000/minute",
    "REGISTER_RATE_LIMIT": "1000/minute",
    "DB_POOL_SIZE": "5",
}


def _schema_tables() -> list[str]:
    """Every table of the models (consumo.models_registry), so a new one is emptied between
    tests and covered by the isolation tests without being listed by hand."""
    from consumo import models_registry  # noqa: F401 (registers every model)
    from consumo.db import Base

    return sorted(Base.metadata.tables)


TABLES = _schema_tables()


def _reset_caches() -> None:
    from consumo import config, db
    from consumo.security import passwords

    config.get_settings.cache_clear()
    db.database_urls.cache_clear()
    db.session_factory.cache_clear()
    if db.app_engine.cache_info().currsize:
        db.app_engine().dispose()
    db.app_engine.cache_clear()
    passwords._hasher.cache_clear()
    passwords._decoy_hash.cache_clear()


@pytest.fixture(scope="session")
def server_url() -> str:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return explicit
    from consumo.embedded import embedded_server_uri

    return embedded_server_uri(Path(tempfile.mkdtemp(prefix="consumo-test-pg-")), delete_on_exit=True)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    name = f"consumo_test_{uuid.uuid4().hex[:10]}"
    admin = make_url(server_url).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = admin.set(database=name).render_as_string(hide_password=False)
    saved = {key: os.environ.get(key) for key in [*TEST_ENV, "DATABASE_URL"]}
    os.environ.update(TEST_ENV)
    os.environ["DATABASE_URL"] = url
    _reset_caches()

    from alembic import command
    from alembic.config import Config

    from consumo.config import BACKEND_DIR

    command.upgrade(Config(str(BACKEND_DIR / "alembic.ini")), "head")
    yield url
    _reset_caches()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def owner_engine(database_url: str) -> Iterator[Engine]:
    """The table owner's connection, for arranging and inspecting data behind the API."""
    from consumo.db import _to_sqlalchemy_url

    engine = create_engine(_to_sqlalchemy_url(database_url), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str) -> Any:
    from consumo.app import create_app

    return create_app()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "owner_engine" in request.fixturenames or "app" in request.fixturenames:
        engine: Engine = request.getfixturevalue("owner_engine")
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    if "app" in request.fixturenames:
        from consumo.ratelimit import limiter

        limiter.reset()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with app.test_client() as test_client:
        yield test_client


@dataclass
class Account:
    """A registered, logged-in user and the client that speaks for them."""

    client: Any
    username: str
    email: str
    password: str
    user_id: str
    tenant_id: str
    access_token: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", **self.extra_headers}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.client.put(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.client.patch(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)


API = "/api/v1"


def register_and_login(app: Any, username: str, password: str = "s3cret-passw0rd") -> Account:
    """Registers `username` in a new tenant and logs in, with a client of its own
    (so each account keeps its own refresh cookie)."""
    client = app.test_client()
    email = f"{username}@example.com"
    registered = client.post(f"{API}/auth/register", json={"username": username, "email": email, "password": password})
    assert registered.status_code == 201, registered.text
    logged_in = client.post(f"{API}/auth/login", json={"username": username, "password": password})
    assert logged_in.status_code == 200, logged_in.text
    body = logged_in.json()
    return Account(
        client, username, email, password, body["user"]["id"], body["user"]["tenant"]["id"], body["access_token"]
    )


def add_member(
    owner_engine: Engine, app: Any, tenant_of: Account, username: str, role: str, password: str = "s3cret-passw0rd"
) -> Account:
    """Puts a new user with `role` into `tenant_of`'s tenant (there is no invite API yet:
    the row is written as the table owner) and logs them in."""
    from consumo.security.passwords import hash_password

    with owner_engine.begin() as conn:
        # Scoped like the app, so this works even where the owner is subject to FORCEd RLS.
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_of.tenant_id})
        conn.execute(
            text(
                "INSERT INTO users (tenant_id, id, username, email, password_hash, role) "
                "VALUES (:t, :i, :u, :e, :h, :r)"
            ),
            {
                "t": tenant_of.tenant_id,
                "i": str(uuid.uuid4()),
                "u": username,
                "e": f"{username}@example.com",
                "h": hash_password(password),
                "r": role,
            },
        )
    client = app.test_client()
    logged_in = client.post(f"{API}/auth/login", json={"username": username, "password": password})
    assert logged_in.status_code == 200, logged_in.text
    body = logged_in.json()
    return Account(
        client,
        username,
        f"{username}@example.com",
        password,
        body["user"]["id"],
        body["user"]["tenant"]["id"],
        body["access_token"],
    )


@pytest.fixture
def alice(app: Any) -> Account:
    return register_and_login(app, "alice")


@pytest.fixture
def bob(app: Any) -> Account:
    """Another tenant."""
    return register_and_login(app, "bob")


VALID_RECORD = {
    "kind": "electricity",
    "quantity": 123.456,
    "period_start": "2025-01-01",
    "period_end": "2025-01-31",
    "cost_minor": 4520,
    "currency": "EUR",
    "notes": "January bill",
}


def create_record(account: Account, **overrides: Any) -> dict[str, Any]:
    response = account.post(f"{API}/consumptions", json={**VALID_RECORD, **overrides})
    assert response.status_code == 201, response.text
    return dict(response.json())


VALID_METER = {"kind": "electricity", "name": "Home", "identifier": "ES-0021-7788"}
VALID_LINE = {
    "kind": "mobile_line",
    "name": "My phone",
    "identifier": "+56912345678",
    "plan": {
        "data_mb": 10240,
        "voice_minutes": 300,
        "sms": 100,
        "cycle_start_day": 1,
        "data_mb_price_minor": 2,
        "voice_minute_price_minor": 10,
        "sms_price_minor": 5,
    },
}


def create_meter(account: Account, **overrides: Any) -> dict[str, Any]:
    """Creates a meter (an electricity meter unless overridden; `**VALID_LINE` for a line)."""
    response = account.post(f"{API}/meters", json={**VALID_METER, **overrides})
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """`response` is an RFC 9457 problem with `status`, whose `errors` (if any) are well formed
    (and name `field`, when given); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].split(";")[0] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", body["code"]), body
    for error in body.get("errors", []):
        assert isinstance(error["field"], str) and error["field"]
        assert isinstance(error["message"], str) and error["message"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", error["code"]), body
    if field is not None:
        assert field in {error["field"] for error in body.get("errors", [])}, body
    return body


def contract_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation of the contract, for tests that try a
    whole class of requests on every operation at once."""
    import yaml

    from consumo.config import SPEC_PATH

    spec = yaml.safe_load(SPEC_PATH.read_text())
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


# --- a receiver on 127.0.0.1 ----------------------------------------------------------------


class Receiver:
    """An HTTP server that records what it is sent and answers `status` (and `body`, `headers`)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 204
        self.body = b""
        self.headers: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length).decode()}
                )
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def local_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allow-list setting that lets deliveries reach a receiver on this machine."""
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "webhook_allowed_networks", "127.0.0.0/8,::1/128")


@pytest.fixture
def empty_job_queue(owner_engine: Engine) -> Iterator[None]:
    """The job queue emptied after the test (modules that defer jobs use it for every test)."""
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("TRUNCATE procrastinate.procrastinate_jobs, procrastinate.procrastinate_events CASCADE"))
