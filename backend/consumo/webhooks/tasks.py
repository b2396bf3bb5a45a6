"""The webhook delivery job."""

from __future__ import annotations

import uuid

import procrastinate

from consumo.jobs import blueprint, tenant_session
from consumo.webhooks import service

# A receiver's failure is recorded and retried by the attempt itself (service.attempt_delivery).
# This strategy covers the job's own failures (the database unreachable mid-job): the job runs
# again, so the delivery is never left pending.
ON_JOB_ERROR = procrastinate.RetryStrategy(max_attempts=12, wait=5, exponential_wait=2)


@blueprint.task(name="deliver_webhook", queue="webhooks", retry=ON_JOB_ERROR)
def deliver_webhook(tenant_id: str, delivery_id: str) -> None:
    """One attempt of one delivery; the next attempt, if any, is deferred by the attempt itself."""
    with tenant_session(uuid.UUID(tenant_id)) as session:
        service.attempt_delivery(session, uuid.UUID(delivery_id))
        session.commit()
