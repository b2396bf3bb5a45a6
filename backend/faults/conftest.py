"""Fault tests: real servers started and broken by the tests themselves.

Each test gets its own throwaway PostgreSQL and runs the API as a subprocess (see
servers.py); tests stop, kill and restart only what these fixtures started.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import API, ApiServer, TempPostgres, free_port

__all__ = [
    "API",
    "PASSWORD",
    "ApiServer",
    "TempPostgres",
    "User",
    "assert_clean_problem",
    "free_port",
    "record_body",
    "register_and_login",
]

PASSWORD = "s3cret-passw0rd"


@dataclass
class User:
    username: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register_and_login(api: ApiServer, username: str) -> User:
    with httpx.Client(base_url=api.base, timeout=10) as client:
        registered = client.post(
            "/auth/register", json={"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        logged_in = client.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        return User(username, logged_in.json()["access_token"])


def record_body(n: int, notes: str) -> dict[str, Any]:
    return {
        "kind": "electricity",
        "quantity": n % 1000 + 0.5,
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "cost_minor": n,
        "currency": "EUR",
        "notes": notes,
    }


def assert_clean_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A problem+json answer that leaks nothing of the server's insides."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    lowered = response.text.lower()
    for leak in (
        "traceback",
        "psycopg",
        "sqlalchemy",
        "operationalerror",
        "connection refused",
        "/site-packages/",
        "socket",
        ".s.pgsql",
    ):
        assert leak not in lowered, response.text
    return body


@pytest.fixture
def postgres() -> Iterator[TempPostgres]:
    server = TempPostgres(Path(tempfile.mkdtemp(prefix="consumo-fault-pg-")))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def start_api(postgres: TempPostgres, tmp_path: Path) -> Iterator[Any]:
    """Starts the API on a new database of the test's PostgreSQL; stops it afterwards."""
    started: list[ApiServer] = []

    def start(**settings: str) -> ApiServer:
        api = ApiServer(postgres.create_database(), tmp_path / f"api-{len(started)}.log", **settings)
        started.append(api)
        api.start()
        return api

    yield start
    for api in started:
        api.stop()
