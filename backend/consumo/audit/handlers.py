"""HTTP handler for /audit-events."""

from __future__ import annotations

from datetime import datetime

import flask

from consumo import api_models as api
from consumo.audit import service
from consumo.audit.models import AuditEvent
from consumo.http import db_session, respond
from consumo.security.caller import current_caller


def event_model(event: AuditEvent) -> api.AuditEvent:
    return api.AuditEvent(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_user_id=event.actor_user_id,
        actor_token_id=event.actor_token_id,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        changes=[api.AuditChange(field=field, **change) for field, change in (event.changes or {}).items()],
        request_id=event.request_id,
        client_ip=str(event.client_ip) if event.client_ip is not None else None,
        user_agent=event.user_agent,
    )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def list_audit_events(  # noqa: PLR0917 (Connexion passes each query parameter by name)
    actor_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> flask.Response:
    filters = {
        "actor_id": actor_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
        "from": _moment(from_),
        "to": _moment(to),
    }
    page = service.list_events(db_session(), current_caller(), filters=filters, limit=limit, cursor=cursor)
    body = api.AuditEventPage(items=[event_model(e) for e in page.items], next_cursor=page.next_cursor)
    # exclude_unset: a create's change has no `before`, a delete's no `after` (not `null`).
    return respond(body.model_dump(mode="json", by_alias=True, exclude_unset=True))
