"""Throwaway real servers for `make faults` and `make fuzz`: a PostgreSQL of its own
(pgserver, in a temporary folder, reached over a Unix socket: it listens on no TCP port,
so it can never be confused with a shared server) and the API as a uvicorn subprocess on
a free 127.0.0.1 port. Only processes started here are ever stopped or killed, by their
own pids, and every wait is bounded.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

BACKEND_DIR = Path(__file__).absolute().parent.parent
API = "/api/v1"
START_TIMEOUT_S = 60.0

# Settings the API subprocess must not inherit from the machine (or from backend/.env).
_INHERITED_SETTINGS = (
    "DATABASE_URL",
    "APP_DATABASE_URL",
    "REDIS_URL",
    "EMBEDDED_DATA_DIR",
    "JWT_SECRET",
    "ENVIRONMENT",
    "LOGIN_RATE_LIMIT",
    "REGISTER_RATE_LIMIT",
    "RATE_LIMIT_ENABLED",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TempPostgres:
    """A throwaway PostgreSQL that a test may stop and start again (its data survives)."""

    def __init__(self, data_dir: Path) -> None:
        import pgserver

        self.data_dir = data_dir
        self.server: Any = pgserver.get_server(data_dir, cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.socket_dir = info.socket_dir
        self.superuser_uri: str = self.server.get_uri()
        self.pid: int = info.pid

    def create_database(self) -> str:
        """A new database on this server; returns its owner (superuser) URI."""
        name = f"consumo_fault_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.superuser_uri, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return str(self.server.get_uri(name))

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.data_dir, user=self.server.system_user, timeout=30)

    def stop(self) -> None:
        """Fast shutdown: open sessions are terminated, as in a crash or failover of the server."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        # The same options pgserver starts it with: no TCP listener, the same socket folder.
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.data_dir / "log"), "start")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def close(self) -> None:
        if not self.is_running():
            self.start()  # pgserver's cleanup expects a server to stop before deleting the folder
        self.server.cleanup()


class ApiServer:
    """`consumo serve` (migrations, then uvicorn) as a subprocess on a free port."""

    def __init__(self, database_url: str, log_path: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{API}"
        self.log_path = log_path
        env = {key: value for key, value in os.environ.items() if key not in _INHERITED_SETTINGS}
        env.update(
            {
                "DATABASE_URL": database_url,
                "JWT_SECRET": secrets.token_urlsafe(48),
                "ENVIRONMENT": "test",
                "ARGON2_TIME_COST": "1",
                "ARGON2_MEMORY_COST_KIB": "1024",
                "ARGON2_PARALLELISM": "1",
                "LOGIN_RATE_LIMIT": "10000/minute",
                "REGISTER_RATE_LIMIT": "10000/minute",
                "REFRESH_COOKIE_SECURE": "false",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(settings)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # the API as a user would run it
                [sys.executable, "-m", "consumo.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=BACKEND_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the API did not answer within {START_TIMEOUT_S}s:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill_9(self) -> None:
        """SIGKILL: no shutdown handler runs, in-flight requests die with the process."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]
