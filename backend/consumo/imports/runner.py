"""Where an import's long work runs: the one seam between the imports service and an executor.

A file larger than IMPORT_INLINE_BYTES is stored by its upload and checked by a job
(`validate`): the import is `validating` exactly when that job exists, then `ready`, or
`rejected` when the file cannot be read to the end.

A commit or revert of up to IMPORT_INLINE_ROWS rows runs inside the request (the answer says
`committed`). A larger one is a job on the queue (procrastinate, task `run_import` in
`consumo.imports.tasks`), deferred in the request's own transaction: the import is in
`committing`/`reverting` exactly when its job exists. Any worker runs it (`consumo worker`) on a
connection of its own, storing its progress in `imports.progress` (committed separately, so
every API process answers `GET /imports/{id}`). The work is one transaction: a worker that dies
mid-way leaves nothing; the job is retried once the queue sees the worker gone
(`retry_stalled_jobs`), and an import left without a runner is reported `failed` and may be
committed again (`service._settle_abandoned`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Literal

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from consumo.db import tenant_connection
from consumo.imports import service
from consumo.jobs import defer_in_transaction
from consumo.problems import UnprocessableContent

Work = Literal["validate", "commit", "revert"]
# Each work's step: (connection, tenant, import, progress callback), in the connection's transaction.
STEPS: dict[Work, Callable[[Connection, uuid.UUID, uuid.UUID, service.Progress], object]] = {
    "validate": service.validate_rows,
    "commit": service.commit_rows,
    "revert": service.revert_rows,
}
logger = logging.getLogger(__name__)


def run_inline(connection: Connection, work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """The work, in the caller's transaction (a small import, during its request)."""
    STEPS[work](connection, tenant_id, import_id, lambda _percent: None)


def run(work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """The work in a transaction of its own, with progress committed as it goes (the body of
    the queued job)."""

    def report(percent: int) -> None:
        with tenant_connection(tenant_id) as progress_connection:
            service.record_progress(progress_connection, tenant_id, import_id, percent)

    try:
        with tenant_connection(tenant_id) as connection:
            STEPS[work](connection, tenant_id, import_id, report)
    except UnprocessableContent as refused:  # the file or its meter, not the machinery: said as it is
        message = refused.detail or "The file cannot be read."
        if work == "validate":
            with tenant_connection(tenant_id) as connection:
                service.record_rejection(connection, tenant_id, import_id, message)
        else:
            _fail(tenant_id, import_id, message)
    except service.EditedSince:
        _fail(tenant_id, import_id, "Some of this import's records were edited since; it can no longer be reverted.")
    except Exception:
        logger.exception("import %s failed to %s", import_id, work)
        if work == "validate":
            with tenant_connection(tenant_id) as connection:
                service.record_rejection(
                    connection, tenant_id, import_id, "The file could not be checked; upload it again."
                )
        else:
            _fail(tenant_id, import_id, f"The {work} failed and changed nothing; try again.")


def _fail(tenant_id: uuid.UUID, import_id: uuid.UUID, message: str) -> None:
    with tenant_connection(tenant_id) as connection:
        service.record_failure(connection, tenant_id, import_id, message)


TASK = "run_import"
QUEUE = "imports"


def submit(session: Session, work: Work, tenant_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """Defers `run` as a job in the session's transaction (it runs once that commits)."""
    defer_in_transaction(
        session, TASK, queue=QUEUE, args={"work": work, "tenant_id": str(tenant_id), "import_id": str(import_id)}
    )
