"""The request head is bounded by the HTTP server itself, before the app runs, in both ways
the API is served: `consumo serve` (uvicorn) and `consumo serve --production` (gunicorn with
uvicorn workers). Tried against real server processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from consumo.config import BACKEND_DIR
from consumo.http_limits import MAX_FIELD_BYTES, MAX_FIELDS, MAX_HEAD_BYTES, MAX_URL_BYTES

HEALTH = "/api/v1/health"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(args: list[str], log: Path, **env: str) -> Iterator[int]:
    """`consumo serve <args>` on a free port of 127.0.0.1, on the test database, until the
    block ends; yields the port once /health answers. Only this process is ever stopped."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "consumo.cli",
                "serve",
                "--no-migrate",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=BACKEND_DIR,
            env={**os.environ, "LOG_LEVEL": "WARNING", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}{HEALTH}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


SERVERS = {"uvicorn": [], "gunicorn": ["--production", "--workers", "1"]}


@pytest.fixture(scope="module", params=list(SERVERS))
def server(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    with serving(SERVERS[request.param], tmp_path_factory.mktemp("server") / "server.log") as port:
        yield port


def _exchange(port: int, head: bytes) -> bytes:
    """Sends `head` (all of it, then nothing more) and returns what the server answers
    before closing the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
            if b"connection: close" in received.lower() and b"\r\n\r\n" in received:
                head_end = received.index(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in received[:head_end].split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if len(received) >= head_end + 4 + length:
                    break
        return received


def _request(target: str = HEALTH, headers: list[tuple[str, str]] | None = None, *, complete: bool = True) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1"] + [f"{n}: {v}" for n, v in headers or []]
    return ("\r\n".join(lines) + ("\r\n\r\n" if complete else "\r\n")).encode()


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def test_a_normal_request_is_answered_by_the_app(server):
    answer = _exchange(server, _request(headers=[("Connection", "close"), ("X-Fine", "a" * 1000)]))

    assert _status(answer) == 200
    assert b"x-request-id" in answer.lower()  # the app ran


def test_a_header_over_the_field_limit_is_431_before_the_app_runs(server):
    answer = _exchange(server, _request(headers=[("X-Big", "a" * (MAX_FIELD_BYTES + 1))]))

    assert _status(answer) == 431
    assert b"application/problem+json" in answer
    assert b"x-request-id" not in answer.lower()  # refused by the server, not by the app


def test_too_many_header_fields_is_431(server):
    answer = _exchange(server, _request(headers=[(f"X-H{i}", "v") for i in range(MAX_FIELDS + 1)]))

    assert _status(answer) == 431


def test_a_head_over_the_total_limit_is_431_even_in_small_fields(server):
    fields = [(f"X-H{i}", "v" * (MAX_FIELD_BYTES - 100)) for i in range(MAX_HEAD_BYTES // MAX_FIELD_BYTES + 1)]

    answer = _exchange(server, _request(headers=fields))

    assert _status(answer) == 431


def test_an_unfinished_head_over_the_total_limit_is_refused_without_waiting_for_its_end(server):
    # One header that never ends: refused once the head passes the limit, not read forever.
    head = _request(complete=False) + b"X-Big: " + b"a" * (MAX_HEAD_BYTES + 10)

    answer = _exchange(server, head)

    assert _status(answer) == 431


def test_a_request_target_over_the_limit_is_414(server):
    answer = _exchange(server, _request(target=HEALTH + "?" + "a" * MAX_URL_BYTES))

    assert _status(answer) == 414


def test_a_32_mb_header_is_cut_off_and_the_server_keeps_serving(server):
    sent = 0
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        conn.sendall(_request(complete=False) + b"X-Big: ")
        chunk = b"a" * 65536
        try:
            while sent < 32 * 1024 * 1024:
                conn.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < 32 * 1024 * 1024  # the server closed the connection instead of reading it all

    assert httpx.get(f"http://127.0.0.1:{server}{HEALTH}", timeout=5).status_code == 200


# --- bodies, with and without Expect: 100-continue ---------------------------------------------
# A read that finished a large body was counted against the next request's head: any body whose
# last read passed MAX_HEAD_BYTES was a 431 (curl sends Expect: 100-continue for large uploads and
# then the body in large reads, so `curl --data-binary @big.csv` was refused).


class _Connection:
    """One raw HTTP/1.1 connection: sends bytes, reads whole responses (Content-Length framed)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed before a response: {self.buffer[:300]!r}"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = _status(lines[0].encode())
        headers = {n.strip().lower(): v.strip() for n, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed inside a response body"
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


def _post_head(path: str, length: int, content_type: str, token: str | None, expect: bool) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}", f"Content-Length: {length}"]
    lines += [f"Authorization: Bearer {token}"] if token else []
    lines += ["Expect: 100-continue"] if expect else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _post(
    conn: _Connection, path: str, body: bytes, *, content_type: str, token: str | None = None, expect: bool
) -> tuple[int, dict[str, str], bytes, bool]:
    """POSTs `body` the way curl does: with Expect, the head alone, then the body only after
    100 Continue (as one large write). Returns the final answer and whether 100 Continue came."""
    conn.sock.sendall(_post_head(path, len(body), content_type, token, expect))
    continued = False
    if expect:
        status, headers, answer = conn.response()
        if status != 100:
            return status, headers, answer, False  # answered without reading the body
        continued = True
    conn.sock.sendall(body)
    status, headers, answer = conn.response()
    return status, headers, answer, continued


def _csv(size: int) -> tuple[bytes, int]:
    """A CSV file of at least `size` bytes. Built in linear time: the connection stays open between
    the loop's requests only for the server's keep-alive time (5 s), which a quadratic build of
    the 1 MiB file overran on a loaded machine (the server closed the idle connection)."""
    rows = ["kind,quantity,period_start,period_end"]
    written = len(rows[0]) + 1
    while written < size:
        rows.append(f"water,{len(rows)}.5,2026-01-01,2026-01-31")
        written += len(rows[-1]) + 1
    return ("\n".join(rows) + "\n").encode(), len(rows) - 1


@pytest.fixture(scope="module")
def token(server: int) -> str:
    name = f"expect{uuid.uuid4().hex[:12]}"
    base = f"http://127.0.0.1:{server}/api/v1"
    registered = httpx.post(
        f"{base}/auth/register",
        json={
            "username": name,
            "email": f"{name}@example.com",
            "password": "correct horse battery",
            "organization_name": "Expect",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    login = httpx.post(f"{base}/auth/login", json={"username": name, "password": "correct horse battery"}, timeout=10)
    return str(login.json()["access_token"])


BODY_SIZES = [1024, MAX_HEAD_BYTES - 1000, MAX_HEAD_BYTES + 1000, 300 * 1024, 1024 * 1024]


@pytest.mark.parametrize("expect", [True, False], ids=["expect-100-continue", "no-expect"])
def test_a_csv_import_of_any_size_is_answered_by_the_app(server, token, expect):
    conn = _Connection(server)
    try:
        for size in BODY_SIZES:
            body, rows = _csv(size)
            status, _, answer, continued = _post(
                conn, "/api/v1/imports?filename=big.csv", body, content_type="text/csv", token=token, expect=expect
            )

            assert (status, continued) == (201, expect), (size, answer[:300])
            job = json.loads(answer)
            if len(body) <= 1024 * 1024:  # IMPORT_INLINE_BYTES: checked in the request
                assert (job["state"], job["total_rows"]) == ("ready", rows)
            else:  # stored whole, and checked by a job (no worker runs here)
                assert (job["state"], job["total_rows"]) == ("validating", 0)
    finally:
        conn.close()


@pytest.mark.parametrize("expect", [True, False], ids=["expect-100-continue", "no-expect"])
def test_a_large_json_body_is_answered_by_the_app_and_the_connection_serves_on(server, token, expect):
    items = [
        {
            "kind": "water",
            "quantity": i + 1,
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "notes": "n" * 60,
        }
        for i in range(1000)
    ]
    body = json.dumps({"items": items}).encode()
    assert len(body) > 2 * MAX_HEAD_BYTES
    conn = _Connection(server)
    try:
        status, _, answer, continued = _post(
            conn, "/api/v1/consumptions/batch", body, content_type="application/json", token=token, expect=expect
        )
        assert (status, continued) == (201, expect), answer[:300]
        assert json.loads(answer)["count"] == 1000

        # The same connection: a normal next request is served, an oversized head is still 431.
        conn.sock.sendall(_request())
        assert conn.response()[0] == 200
        conn.sock.sendall(_request(headers=[(f"X-H{i}", "v" * (MAX_FIELD_BYTES - 100)) for i in range(9)]))
        assert conn.response()[0] == 431
    finally:
        conn.close()


def test_a_request_pipelined_after_a_large_body_is_served(server, token):
    # One write holds the end of a large body and the next request's head: that read is not
    # counted against the next head, which is answered normally.
    body, rows = _csv(300 * 1024)
    conn = _Connection(server)
    try:
        conn.sock.sendall(
            _post_head("/api/v1/imports?filename=big.csv", len(body), "text/csv", token, False) + body + _request()
        )
        status, _, answer = conn.response()
        assert status == 201, answer[:300]
        assert json.loads(answer)["total_rows"] == rows
        assert conn.response()[0] == 200
    finally:
        conn.close()


@pytest.mark.parametrize("expect", [True, False], ids=["expect-100-continue", "no-expect"])
def test_a_body_over_the_limit_is_413_not_431(server, token, expect):
    body = b"[" + b" " * (2 * 1024 * 1024) + b"]"  # over MAX_BODY_BYTES (1 MiB)
    conn = _Connection(server)
    try:
        status, _, answer, continued = _post(
            conn, "/api/v1/consumptions/batch", body, content_type="application/json", token=token, expect=expect
        )
    finally:
        conn.close()

    assert status == 413, answer[:300]
    assert json.loads(answer)["code"] == "body.too_large"
    assert not continued  # refused from Content-Length: the client is told not to send it


def test_oversized_headers_with_expect_are_still_431(server, token):
    fields = [("Expect", "100-continue")] + [(f"X-H{i}", "v" * (MAX_FIELD_BYTES - 100)) for i in range(9)]

    assert _status(_exchange(server, _request(headers=fields))) == 431
    assert (
        _status(
            _exchange(server, _request(headers=[("Expect", "100-continue"), ("X-Big", "a" * (MAX_FIELD_BYTES + 1))]))
        )
        == 431
    )


# --- client addresses and shared limits (defect 8 c, d) ---------------------------------------------


@pytest.mark.parametrize("kind", list(SERVERS))
def test_x_forwarded_for_is_not_believed_unless_a_proxy_is_configured(database_url, tmp_path, kind):
    """Rotating X-Forwarded-For does not buy a client a fresh per-address login budget."""
    with serving(SERVERS[kind], tmp_path / "server.log", LOGIN_RATE_LIMIT="3/minute") as port:
        statuses = [
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                json={"username": f"nobody{i}", "password": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=10,
            ).status_code
            for i in range(4)
        ]

    assert statuses == [401, 401, 401, 429]


def test_a_configured_proxy_is_believed(database_url, tmp_path):
    with serving([], tmp_path / "server.log", LOGIN_RATE_LIMIT="3/minute", FORWARDED_ALLOW_IPS="127.0.0.1") as port:
        statuses = [
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                json={"username": f"nobody{i}", "password": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=10,
            ).status_code
            for i in range(4)
        ]

    assert statuses == [401, 401, 401, 401]  # four clients behind the proxy, one attempt each


def test_production_with_several_workers_and_no_redis_says_so_at_start(database_url, tmp_path):
    log = tmp_path / "server.log"
    with serving(["--production", "--workers", "2"], log, REDIS_URL=""):
        pass

    assert "WARNING: REDIS_URL is not set: each of the 2 workers keeps its own rate-limit counts" in log.read_text()


def test_production_with_one_worker_or_redis_has_no_such_warning(database_url, tmp_path):
    alone, shared = tmp_path / "alone.log", tmp_path / "shared.log"
    with serving(["--production", "--workers", "1"], alone, REDIS_URL=""):
        pass
    with serving(["--production", "--workers", "2"], shared, REDIS_URL="redis://127.0.0.1:6379/15"):
        pass

    assert "REDIS_URL is not set" not in alone.read_text()
    assert "REDIS_URL is not set" not in shared.read_text()
