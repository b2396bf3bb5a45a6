"""Where an import's long work runs: the one seam between the imports service and an executor.

Today: a commit or revert of up to IMPORT_INLINE_ROWS rows runs inside the request (the answer
says `committed`); a larger one runs in a daemon thread of the API process, on a connection of
its own, storing its progress in `imports.progress` (committed separately, so every API process
answers `GET /imports/{id}`). Its own work is one transaction: a process that dies mid-way
leaves nothing, and the import is reported `failed` and can be retried
(`service._settle_abandoned`).

Moving to a job queue (procrastinate): `submit` defers a task `run(kind, tenant_id, import_id)`
in the request's transaction instead of starting a thread; the task body is `run` as written.
The contract does not change: the commit and revert answers are 202 with the import in
`committing`/`reverting`, and clients follow `progress`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Literal

from sqlalchemy import Connection

from consumo.db import app_engine, tenant_connection
from consumo.imports import service

Work = Literal["commit", "revert"]
logger = logging.getLogger(__name__)
_running: set[threading.Thread] = set()


def run_inline(connection: Connection, work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """The work, in the caller's transaction (a small import, during its request)."""
    if work == "commit":
        service.commit_rows(connection, tenant_id, import_id, lambda _percent: None)
    else:
        service.revert_rows(connection, tenant_id, import_id, lambda _percent: None)


def run(work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """The work in a transaction of its own, with progress committed as it goes (the body of a
    background thread today, of a queued job tomorrow)."""

    def report(percent: int) -> None:
        with tenant_connection(tenant_id) as progress_connection:
            service.record_progress(progress_connection, tenant_id, import_id, percent)

    try:
        with tenant_connection(tenant_id) as connection:
            if work == "commit":
                service.commit_rows(connection, tenant_id, import_id, report)
            else:
                service.revert_rows(connection, tenant_id, import_id, report)
    except service.EditedSince:
        _fail(tenant_id, import_id, "Some of this import's records were edited since; it can no longer be reverted.")
    except Exception:
        logger.exception("import %s failed to %s", import_id, work)
        _fail(tenant_id, import_id, f"The {work} failed and changed nothing; try again.")


def _fail(tenant_id: uuid.UUID, import_id: uuid.UUID, message: str) -> None:
    with tenant_connection(tenant_id) as connection:
        service.record_failure(connection, tenant_id, import_id, message)


def submit(work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """Starts `run` in the background (call it once the request's transaction has committed)."""
    app_engine()  # built here, not raced for by the thread

    def target() -> None:
        try:
            run(work, tenant_id, import_id)
        finally:
            _running.discard(thread)

    thread = threading.Thread(target=target, name=f"import-{work}-{import_id}", daemon=True)
    _running.add(thread)
    thread.start()


def wait_for_background_work(timeout_s: float | None = None) -> None:
    """Joins the running threads (a graceful shutdown, or a test that needs them done)."""
    for thread in list(_running):
        thread.join(timeout_s)
