"""The alert evaluation job: deferred by the event hook when an owner's records, budgets or
meters change (coalesced per owner by a queueing lock)."""

from __future__ import annotations

import uuid

import procrastinate

from consumo.alerts import marks
from consumo.jobs import blueprint, tenant_session

ON_JOB_ERROR = procrastinate.RetryStrategy(max_attempts=12, wait=5, exponential_wait=2)


@blueprint.task(name="evaluate_alerts", queue="alerts", retry=ON_JOB_ERROR)
def evaluate_alerts(tenant_id: str, owner_id: str) -> None:
    """Publish the owner's budget and allowance alerts not yet published for their period."""
    with tenant_session(uuid.UUID(tenant_id)) as session:
        marks.publish_new_alerts(session, uuid.UUID(tenant_id), uuid.UUID(owner_id))
        session.commit()
