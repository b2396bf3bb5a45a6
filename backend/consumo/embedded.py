"""The embedded default database: a real PostgreSQL from the `pgserver` wheel.

Used when `DATABASE_URL` is unset. The data folder is kept between runs; the server
starts in about a second and is reached over its Unix socket.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

# Kept referenced so the server lives as long as the process that started it.
_servers: dict[Path, object] = {}


def embedded_server_uri(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or attach to) the embedded server in `data_dir`; return its superuser URI.

    The server stops when the last process using it exits; with `delete_on_exit` its
    data folder goes too (for throwaway test servers)."""
    import pgserver  # imported lazily: only needed without DATABASE_URL

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = _servers.get(data_dir)
    if server is None:
        logger.info("starting embedded PostgreSQL in %s", data_dir)
        server = pgserver.get_server(  # type: ignore[attr-defined]
            data_dir, cleanup_mode="delete" if delete_on_exit else "stop"
        )
        _servers[data_dir] = server
    return str(server.get_uri())  # type: ignore[attr-defined]


def ensure_database(server_uri: str, name: str) -> None:
    """Create database `name` on the server if it does not exist yet."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
