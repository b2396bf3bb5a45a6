"""Keeping the queue itself healthy."""

from __future__ import annotations

import logging

import procrastinate

from consumo.config import get_settings
from consumo.jobs import blueprint

log = logging.getLogger(__name__)


@blueprint.periodic(cron="* * * * * */10")  # every 10 seconds: one indexed query
@blueprint.task(name="retry_stalled_jobs", queue="maintenance", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Jobs left `doing` by a worker that died (kill -9, a lost machine) go back to the queue:
    nothing acknowledged is lost, and the job runs again (jobs are idempotent)."""
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=get_settings().job_stalled_after_s):
        log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await manager.retry_job(job)
