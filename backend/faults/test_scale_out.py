"""Two API processes behind one address, as a load balancer would run them: one PostgreSQL, one
Redis, one JWT secret. What one machine can show of scaling out (docs/scaling.md):

- a token issued by one process is honoured by the other (the API keeps no session state);
- concurrent creates spread over both, with retries of the same Idempotency-Key landing on the
  *other* process at the same moment, leave exactly one record per key: nothing lost, nothing
  duplicated;
- the login rate limit is one budget across both processes (counted in Redis), not one each.

The Redis server is the test's own (a redis-server on a free port, stopped by its PID), never the
machine's shared one.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import PASSWORD, ApiServer, TempPostgres, free_port, record_body, register_and_login

LOGIN_LIMIT = 6
KEYS = 240


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (make faults installs Debian's package when missing)"
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="consumo-fault-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def two_apis(postgres: TempPostgres, redis_url: str, tmp_path: Path) -> Iterator[tuple[ApiServer, ApiServer]]:
    database = postgres.create_database()
    shared = {
        "JWT_SECRET": secrets.token_urlsafe(48),
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT}/minute",
        "DB_POOL_SIZE": "4",
    }
    first = ApiServer(database, tmp_path / "api-a.log", **shared)
    second = ApiServer(database, tmp_path / "api-b.log", **shared)
    try:
        first.start()  # migrates the database
        second.start()  # finds it migrated
        yield first, second
    finally:
        second.stop()
        first.stop()


def test_two_api_processes_share_tokens_writes_and_rate_limits(two_apis):
    first, second = two_apis
    user = register_and_login(first, "scaled")
    # A token from one process works on the other.
    with httpx.Client(base_url=second.base, timeout=10, headers=user.headers) as client:
        assert client.get("/user").status_code == 200

    # Concurrent creates over both processes; every key is sent twice at once, once to each.
    def create(job: tuple[int, ApiServer]) -> tuple[int, int, str | None]:
        n, api = job
        with httpx.Client(base_url=api.base, timeout=30, headers=user.headers) as client:
            answer = client.post(
                "/consumptions", json=record_body(n, f"key {n}"), headers={"Idempotency-Key": f"scale-out-{n}"}
            )
            return n, answer.status_code, answer.json().get("id") if answer.status_code == 201 else answer.text

    jobs = [(n, api) for n in range(KEYS) for api in (first, second)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(create, jobs))

    statuses = Counter(status for _, status, _ in results)
    assert statuses == {201: 2 * KEYS}, statuses
    ids_by_key: dict[int, set[str]] = {}
    for n, _, record_id in results:
        ids_by_key.setdefault(n, set()).add(record_id)  # type: ignore[arg-type]
    # Both answers for a key name the same record: the retry on the other process replayed it.
    assert all(len(ids) == 1 for ids in ids_by_key.values())

    # Exactly one stored record per key, read back through either process.
    stored: list[dict] = []
    with httpx.Client(base_url=second.base, timeout=30, headers=user.headers) as client:
        cursor = None
        while True:
            page = client.get("/consumptions", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
            assert page.status_code == 200, page.text
            stored.extend(page.json()["items"])
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
    assert len(stored) == KEYS
    assert sorted(item["notes"] for item in stored) == sorted(f"key {n}" for n in range(KEYS))
    assert {item["id"] for item in stored} == {next(iter(ids)) for ids in ids_by_key.values()}

    # Failed logins alternate between the processes: one shared budget, so the limit holds overall.
    # The per-address budget already holds the sign-in of register_and_login; with a budget per
    # process instead, neither process would reach its limit in these attempts.
    answers = []
    for attempt in range(LOGIN_LIMIT + 2):
        api = (first, second)[attempt % 2]
        answers.append(
            httpx.post(
                f"{api.base}/auth/login", json={"username": "scaled", "password": "wrong-password"}, timeout=10
            ).status_code
        )
    assert answers == [401] * (LOGIN_LIMIT - 1) + [429] * 3, answers
    # ... and the right password is refused too while the budget is spent, on either process.
    assert (
        httpx.post(
            f"{first.base}/auth/login", json={"username": "scaled", "password": PASSWORD}, timeout=10
        ).status_code
        == 429
    )
