"""`budget.projected_over` and `line.allowance_exhausted` as webhook events, each once per period.

The job evaluates what the bell shows (`service.current_alerts`, for the owner whose data
changed) and publishes each alert whose mark (`AlertMark`: tenant, alert key, period) it could
insert — in the same transaction as the mark, so a job that fails publishes nothing and marks
nothing, and a job run twice (at least once) publishes once. A budget alert's period is the
calendar month (in the tenant's time zone), an allowance's the line's billing cycle.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from consumo.accounts.models import Tenant, User
from consumo.alerts.models import AlertMark
from consumo.alerts.service import Alert, current_alerts
from consumo.security.identity import Caller
from consumo.webhooks.events import EVALUATED_ALERTS, new_event_id, publish

NO_SESSION = uuid.UUID(int=0)  # a job acts for the owner without a login session


def owner_as_caller(session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID) -> Caller | None:
    """The owner as the API would see them (role, time zone), or None once gone or deactivated."""
    row = session.execute(
        select(User.role, User.is_active, Tenant.time_zone, Tenant.default_currency)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.tenant_id == tenant_id, User.id == owner_id)
    ).one_or_none()
    if row is None or not row.is_active:
        return None
    return Caller(owner_id, tenant_id, NO_SESSION, row.role, row.time_zone, row.default_currency)


def alert_key(alert: Alert, owner_id: uuid.UUID) -> str:
    if alert.type == "line.allowance_exhausted":
        return f"allowance:{alert.meter_id}:{alert.kind}"
    if alert.meter_id is not None:
        return f"budget:meter:{alert.meter_id}"
    return f"budget:{owner_id}:kind:{alert.kind}"


def event_data(alert: Alert, owner_id: uuid.UUID) -> dict[str, Any]:
    assert alert.since is not None
    if alert.type == "line.allowance_exhausted":
        return {
            "meter_id": str(alert.meter_id),
            "owner_id": str(owner_id),
            "name": alert.meter_name,
            "kind": alert.kind,
            "cycle_start": alert.since.isoformat(),
        }
    return {
        "owner_id": str(owner_id),
        "kind": alert.kind,
        "meter_id": str(alert.meter_id) if alert.meter_id else None,
        "name": alert.meter_name,
        "month": alert.since.isoformat(),
        "currency": alert.currency,
        "projected_cost_minor": alert.amount_minor,
        "budget_cost_minor": alert.limit_minor,
    }


def _mark(session: Session, tenant_id: uuid.UUID, key: str, period_start: date) -> str | None:
    """The mark's event id if this call made it, None if the period's event was published already."""
    event_id = new_event_id()
    made = session.execute(
        insert(AlertMark)
        .values(tenant_id=tenant_id, alert_key=key, period_start=period_start, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(AlertMark.event_id)
    ).scalar_one_or_none()
    return made


def publish_new_alerts(session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID) -> list[str]:
    """Publish the owner's evaluated alerts not yet published for their period; returns their types."""
    caller = owner_as_caller(session, tenant_id, owner_id)
    if caller is None:
        return []
    published: list[str] = []
    for alert in current_alerts(session, caller):
        if alert.type not in EVALUATED_ALERTS or alert.since is None:
            continue
        if _mark(session, tenant_id, alert_key(alert, owner_id), alert.since) is None:
            continue
        publish(session, tenant_id, [(alert.type, event_data(alert, owner_id))])
        published.append(alert.type)
    return published
