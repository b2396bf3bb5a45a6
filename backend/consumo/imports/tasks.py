"""An import's checking, commit and revert as jobs on the queue (procrastinate), deferred in the
transaction of the request that moved the import to `validating`/`committing`/`reverting`."""

from __future__ import annotations

import uuid

import procrastinate

from consumo.imports import runner
from consumo.jobs import blueprint

# The work is one transaction: a job that fails for the database's sake (a lost connection)
# changed nothing and runs again; `runner.run` itself records a failure of the work.
ON_JOB_ERROR = procrastinate.RetryStrategy(max_attempts=3, wait=5)


@blueprint.task(name=runner.TASK, queue=runner.QUEUE, retry=ON_JOB_ERROR)
def run_import(work: str, tenant_id: str, import_id: str) -> None:
    """Checks, commits or reverts the import (idempotent: an import no longer
    `validating`/`committing`/`reverting` is left as it is, so a retried or repeated job does nothing)."""
    kinds: dict[str, runner.Work] = {"validate": "validate", "commit": "commit", "revert": "revert"}
    runner.run(kinds[work], uuid.UUID(tenant_id), uuid.UUID(import_id))
