"""Background jobs on procrastinate (a PostgreSQL job queue): how to define and defer one.

Define a task on the shared blueprint, in a module listed in `TASK_MODULES`:

    from consumo.jobs import blueprint

    @blueprint.task(name="import_file", queue="imports")
    def import_file(tenant_id: str, import_id: str) -> None:
        with tenant_session(uuid.UUID(tenant_id)) as session:
            ...            # any service; commit at the end
            session.commit()

Defer it IN THE TRANSACTION of the change that calls for it, so a rolled-back change defers
nothing and a committed one is never lost:

    defer_in_transaction(session, "import_file", queue="imports", args={"tenant_id": ..., "import_id": ...})

`consumo worker` runs the workers (any number, on any machines: they share the queue with
`SELECT … FOR UPDATE SKIP LOCKED`). A job's arguments are JSON; keep them to ids and re-read
the rows in the job. Jobs run at least once: make them idempotent.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.orm import Session

from consumo.db import bind_tenant, database_urls, session_factory
from consumo.jobs.schema import JOB_SCHEMA

blueprint = procrastinate.Blueprint()

# Modules whose import registers tasks on the blueprint.
TASK_MODULES = ["consumo.webhooks.tasks", "consumo.alerts.tasks", "consumo.jobs.maintenance", "consumo.imports.tasks"]

_DEFER = text("SELECT consumo_defer_job(:queue, :task, CAST(:args AS jsonb), :at)")
_DEFER_ONCE = text("SELECT consumo_defer_job_once(:queue, :task, :lock, CAST(:args AS jsonb))")


def defer_in_transaction(
    session: Session, task_name: str, *, queue: str, args: dict[str, Any], at: datetime | None = None
) -> int:
    """Enqueue `task_name(**args)` on the session's connection, in its open transaction: the job
    exists exactly when the transaction commits. `at`: not before this time. Returns the job id."""
    params = {"queue": queue, "task": task_name, "args": json.dumps(args), "at": at}
    return int(session.execute(_DEFER, params).scalar_one())


def defer_once_in_transaction(
    session: Session, task_name: str, *, queue: str, lock: str, args: dict[str, Any]
) -> int | None:
    """Like `defer_in_transaction`, under procrastinate's queueing lock `lock`: while a job with
    that lock waits in the queue, no other is added (None is returned), so a burst of changes
    coalesces into one job. A job already running does not hold the lock: a change made while it
    runs defers the next one, so nothing is missed."""
    params = {"queue": queue, "task": task_name, "lock": lock, "args": json.dumps(args)}
    job_id = session.execute(_DEFER_ONCE, params).scalar_one()
    return int(job_id) if job_id is not None else None


@contextmanager
def tenant_session(tenant_id: uuid.UUID) -> Iterator[Session]:
    """A database session for a job, scoped to one tenant (row-level security applies as in a
    request). Nothing is committed unless the job commits."""
    session = session_factory()()
    try:
        bind_tenant(session, tenant_id)
        yield session
    finally:
        session.close()


def _conninfo() -> str:
    url = database_urls().owner.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@lru_cache(maxsize=1)
def job_app() -> procrastinate.App:
    """The procrastinate app: tasks from `TASK_MODULES`, queue tables in the `procrastinate` schema."""
    connector = procrastinate.PsycopgConnector(
        conninfo=_conninfo(), kwargs={"options": f"-c search_path={JOB_SCHEMA}"}, min_size=1, max_size=4
    )
    app = procrastinate.App(connector=connector)
    # Every model (their foreign keys name each other) and the event hook, as in the API.
    for module in ["consumo.models_registry", *TASK_MODULES]:
        importlib.import_module(module)
    # Like App.add_tasks_from, without a namespace: a task's name is the one deferred by SQL.
    for task in blueprint.tasks.values():
        task.blueprint = app
    app.tasks.update(blueprint.tasks)
    for periodic_task in blueprint.periodic_registry.periodic_tasks.values():
        app.periodic_registry.register_task(
            task=periodic_task.task,
            cron=periodic_task.cron,
            periodic_id=periodic_task.periodic_id,
            configure_kwargs=periodic_task.configure_kwargs,
        )
    return app
