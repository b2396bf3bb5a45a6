"""The API process dies (kill -9) while clients write records with Idempotency-Keys.

What a client was told is the truth: every record whose 201 reached the client exists
exactly once, and retrying the writes whose answer never came (same key, same body)
creates each of them exactly once, whether or not the first attempt had committed.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg

from conftest import ApiServer, User, record_body, register_and_login

WRITERS = 8
ACKNOWLEDGED_BEFORE_KILL = 60
BOUND_S = 60.0


class Writer:
    """Creates records with fresh keys until told to stop; remembers what it was told."""

    def __init__(self, api: ApiServer, user: User) -> None:
        self.api = api
        self.user = user
        self.acknowledged: dict[str, str] = {}  # key -> record id from a 201
        self.unacknowledged: dict[str, dict[str, Any]] = {}  # key -> body, no answer received
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._numbers = iter(range(1_000_000))

    def post(self, client: httpx.Client, key: str, body: dict[str, Any]) -> httpx.Response:
        return client.post("/consumptions", json=body, headers={**self.user.headers, "Idempotency-Key": key})

    def run(self) -> None:
        with httpx.Client(base_url=self.api.base, timeout=5) as client:
            while not self.stop.is_set():
                with self.lock:
                    n = next(self._numbers)
                key = str(uuid.uuid4())
                body = record_body(n, f"write {n} key {key}")
                try:
                    response = self.post(client, key, body)
                except httpx.TransportError:
                    with self.lock:
                        self.unacknowledged[key] = body
                    continue
                assert response.status_code == 201, response.text
                with self.lock:
                    self.acknowledged[key] = response.json()["id"]

    def count_acknowledged(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _records_by_note(database_url: str) -> dict[str, list[str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT notes, id::text FROM consumption_records").fetchall()
    found: dict[str, list[str]] = {}
    for notes, record_id in rows:
        found.setdefault(notes, []).append(record_id)
    return found


def test_every_acknowledged_write_survives_a_kill_9_exactly_once_and_retries_complete_the_rest(start_api):
    api: ApiServer = start_api()
    user = register_and_login(api, "writer")
    writer = Writer(api, user)
    first_pid = api.pid
    deadline = time.monotonic() + BOUND_S

    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(writer.run) for _ in range(WRITERS)]
        while writer.count_acknowledged() < ACKNOWLEDGED_BEFORE_KILL:
            assert time.monotonic() < deadline, "the writers made no progress"
            assert not any(f.done() for f in futures), [f.exception() for f in futures if f.done()]
            time.sleep(0.01)
        api.kill_9()  # mid-write: the writers are busy posting
        time.sleep(0.3)  # writes against the dead port fail too, and stay unacknowledged
        writer.stop.set()
        for future in futures:
            future.result(timeout=30)

    assert writer.unacknowledged, "the kill should have cut some writes short"
    api.start()
    assert api.pid != first_pid

    # The client retries each unacknowledged write with its key and body until answered.
    with httpx.Client(base_url=api.base, timeout=5) as client:
        for key, body in writer.unacknowledged.items():
            response = writer.post(client, key, body)
            assert response.status_code == 201, response.text
            writer.acknowledged[key] = response.json()["id"]
            again = writer.post(client, key, body)  # and any further retry is a replay
            assert again.status_code == 201
            assert again.json()["id"] == response.json()["id"]

    records = _records_by_note(api.env["DATABASE_URL"])
    by_key: dict[str, list[str]] = {}
    for notes, ids in records.items():
        by_key.setdefault(notes.rsplit(" key ", 1)[1], []).extend(ids)

    # Every key the client used produced exactly one record, the one it was told about.
    assert set(by_key) == set(writer.acknowledged)
    for key, record_id in writer.acknowledged.items():
        assert by_key[key] == [record_id], key
    # Nothing else was written.
    assert sum(len(ids) for ids in records.values()) == len(writer.acknowledged)

    # And the API after the restart is the same API: the acknowledged records are readable.
    with httpx.Client(base_url=api.base, timeout=5) as client:
        sample = list(writer.acknowledged.values())[:: max(1, len(writer.acknowledged) // 20)]
        for record_id in sample:
            assert client.get(f"/consumptions/{record_id}", headers=user.headers).status_code == 200
