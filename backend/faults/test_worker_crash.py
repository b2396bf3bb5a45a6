"""kill -9 of a job worker in the middle of a webhook delivery: nothing is lost. The job its
death left `doing` is handed to another worker once the dead one's heartbeat is old, and the
event is delivered (again: at least once, with the same `webhook-id`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ApiServer, record_body, register_and_login
from servers import BACKEND_DIR

DEADLINE_S = 120


class HangingReceiver:
    """Answers 204, except that the first request hangs until `release`."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append({"id": self.headers["webhook-id"], "body": self.rfile.read(length).decode()})
                if len(receiver.received) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[HangingReceiver]:
    server = HangingReceiver()
    yield server
    server.close()


def start_worker(api: ApiServer, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "consumo.cli", "worker"], cwd=BACKEND_DIR, env=api.env, stdout=log, stderr=log
        )


def test_a_delivery_survives_kill_9_of_its_worker(start_api: Any, receiver: HangingReceiver, tmp_path: Path) -> None:
    api = start_api(WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8", JOB_STALLED_AFTER_S="6", LOG_LEVEL="INFO")
    owner = register_and_login(api, "hooked")
    with httpx.Client(base_url=api.base, headers=owner.headers, timeout=10) as client:
        endpoint = client.post("/webhooks", json={"url": receiver.url, "event_types": ["consumption.created"]})
        assert endpoint.status_code == 201, endpoint.text
        assert client.post("/consumptions", json=record_body(1, "killed mid-delivery")).status_code == 201

        first = start_worker(api, tmp_path / "worker-1.log")
        try:
            assert receiver.first_arrived.wait(60), (tmp_path / "worker-1.log").read_text()[-4000:]
            os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the receiver has not answered
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        receiver.release.set()

        second = start_worker(api, tmp_path / "worker-2.log")
        try:
            deadline = time.monotonic() + DEADLINE_S
            delivery: dict[str, Any] = {}
            while time.monotonic() < deadline:
                items = client.get(f"/webhooks/{endpoint.json()['id']}/deliveries").json()["items"]
                delivery = items[0]
                if delivery["status"] == "succeeded":
                    break
                time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        assert delivery["status"] == "succeeded", (tmp_path / "worker-2.log").read_text()[-4000:]
        assert len(receiver.received) == 2
        assert receiver.received[0]["id"] == receiver.received[1]["id"]  # the same event, redelivered
        assert receiver.received[0]["body"] == receiver.received[1]["body"]


IMPORT_ROWS = 50_000


def _kill_mid_work(api: Any, client: httpx.Client, import_id: str, state: str, log: Path) -> dict[str, Any]:
    """Starts a worker, waits until the import reports progress in `state`, kills the worker
    with SIGKILL (its transaction open), and returns the import as it was then."""
    worker = start_worker(api, log)
    try:
        deadline = time.monotonic() + 60
        job = client.get(f"/imports/{import_id}").json()
        while time.monotonic() < deadline and job["progress"] == 0:
            time.sleep(0.02)
            job = client.get(f"/imports/{import_id}").json()
        assert job["state"] == state and 0 < job["progress"] < 100, job
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    return dict(job)


def _until(api: Any, client: httpx.Client, import_id: str, state: str, log: Path) -> dict[str, Any]:
    """Starts a worker and waits until the import is in `state` (then stops the worker)."""
    worker = start_worker(api, log)
    try:
        deadline = time.monotonic() + DEADLINE_S
        job = client.get(f"/imports/{import_id}").json()
        while time.monotonic() < deadline and job["state"] != state:
            time.sleep(0.5)
            job = client.get(f"/imports/{import_id}").json()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert job["state"] == state, log.read_text()[-4000:]
    return dict(job)


def test_an_import_check_and_commit_survive_kill_9_of_their_worker(start_api: Any, tmp_path: Path) -> None:
    """A large file is checked, and a large commit made, by queued jobs: a worker killed
    mid-check or mid-commit (its transaction open) leaves nothing; the job goes back to the queue
    and another worker finishes it, every row exactly once, with the roll-ups."""
    api = start_api(IMPORT_INLINE_ROWS="10", IMPORT_INLINE_BYTES="65536", JOB_STALLED_AFTER_S="6", LOG_LEVEL="INFO")
    owner = register_and_login(api, "importer")
    lines = ["kind,quantity,period_start,period_end"]
    lines += [f"water,{n % 97}.5,2025-{1 + n % 12:02d}-01,2025-{1 + n % 12:02d}-28" for n in range(IMPORT_ROWS)]
    csv = ("\n".join(lines) + "\n").encode()
    with httpx.Client(base_url=api.base, headers=owner.headers, timeout=120) as client:
        uploaded = client.post("/imports", content=csv, headers={"Content-Type": "text/csv"})
        assert uploaded.status_code == 201 and uploaded.json()["state"] == "validating", uploaded.text
        import_id = uploaded.json()["id"]

        _kill_mid_work(api, client, import_id, "validating", tmp_path / "check-worker-1.log")
        assert client.get(f"/imports/{import_id}/rows").json()["items"] == []  # nothing staged
        checked = _until(api, client, import_id, "ready", tmp_path / "check-worker-2.log")
        assert (checked["total_rows"], checked["valid_rows"]) == (IMPORT_ROWS, IMPORT_ROWS)

        started = client.post(f"/imports/{import_id}/commit")
        assert started.status_code == 202 and started.json()["state"] == "committing", started.text
        _kill_mid_work(api, client, import_id, "committing", tmp_path / "import-worker-1.log")
        assert client.get("/consumptions", params={"import_id": import_id}).json()["items"] == []
        job = _until(api, client, import_id, "committed", tmp_path / "import-worker-2.log")
        assert job["records_created"] == IMPORT_ROWS
        exported = client.get(
            "/consumptions/export", params={"import_id": import_id}, headers={"Accept": "application/x-ndjson"}
        )
        assert len(exported.text.splitlines()) == IMPORT_ROWS
