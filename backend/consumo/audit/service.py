"""Reading the audit trail, and its retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from consumo.audit.models import AuditEvent
from consumo.paging import Keyset, Page, keyset_page
from consumo.problems import Forbidden, UnprocessableContent
from consumo.security.identity import Caller


def tenant_events(caller: Caller) -> Select[tuple[AuditEvent]]:
    """The one scoping of audit events: the caller's tenant's."""
    return select(AuditEvent).where(AuditEvent.tenant_id == caller.tenant_id)


EVENTS_NEWEST_FIRST = Keyset(
    (AuditEvent.seq,),
    descending=True,
    payload=lambda event: {"s": str(event.seq)},
    read=lambda payload: (int(payload["s"]),),
)


def list_events(
    session: Session,
    caller: Caller,
    *,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> Page[AuditEvent]:
    if not caller.manages_team:
        raise Forbidden("Only owners and admins read the audit trail.", code="team.admins_only")
    start, end = filters.get("from"), filters.get("to")
    if start is not None and end is not None and start > end:
        raise UnprocessableContent("`from` must not be after `to`.", field="from", code="range.from_after_to")
    statement = tenant_events(caller)
    if filters.get("actor_id"):
        statement = statement.where(AuditEvent.actor_user_id == uuid.UUID(filters["actor_id"]))
    for name in ("entity_type", "entity_id", "action"):
        if filters.get(name):
            statement = statement.where(getattr(AuditEvent, name) == filters[name])
    if start is not None:
        statement = statement.where(AuditEvent.occurred_at >= start)
    if end is not None:
        statement = statement.where(AuditEvent.occurred_at < end)
    return keyset_page(session, statement, EVENTS_NEWEST_FIRST, limit=limit, cursor=cursor)


def prune(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    """Deletes the events older than `retention_days` in every tenant; returns how many. Runs as
    the table owner (the app role may not delete events)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    result = session.execute(
        delete(AuditEvent).where(AuditEvent.occurred_at < cutoff).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
