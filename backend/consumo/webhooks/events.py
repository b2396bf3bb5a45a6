"""Events, taken from the changes themselves: one generic hook on every flush turns new,
edited and deleted rows of the published kinds into outbox rows (`webhook_deliveries`) and
deferred delivery jobs, on the flushing transaction's own connection. A rolled-back change
therefore sends nothing, and a committed one is never lost. No service has to remember to
publish anything.

"updated" means a new version (an edit under If-Match: `versioning.touch`); a balance moved by a
top-up or a simulation is not a meter edit. Rows removed by a bulk statement (a meter's records
going with it through its foreign key) publish nothing of their own.

Payloads are thin: the event names the object and its key fields; a receiver GETs the current
state with an API token. Each event's `data` is described in the contract (`x-webhooks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, event, insert, inspect, select
from sqlalchemy.orm import Session

from consumo.consumptions.models import ConsumptionRecord
from consumo.jobs import defer_in_transaction
from consumo.lines.models import TopUp
from consumo.meters.models import Meter
from consumo.readings.models import MeterReading
from consumo.webhooks.models import WebhookDelivery, WebhookEndpoint

PAYLOAD_VERSION = 1
DELIVERY_TASK = "deliver_webhook"
DELIVERY_QUEUE = "webhooks"

EVENT_TYPES = (
    "consumption.created",
    "consumption.updated",
    "consumption.deleted",
    "meter.created",
    "meter.updated",
    "meter.deleted",
    "reading.created",
    "line.topped_up",
    "import.completed",
)
TEST_EVENT = "webhook.test"


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(*names: str) -> Callable[[Any], dict[str, Any]]:
    return lambda row: {name: _json(getattr(row, name)) for name in names}


# model → (prefix, what its events carry)
_PUBLISHED: dict[type, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    ConsumptionRecord: (
        "consumption",
        _fields("id", "owner_id", "kind", "quantity", "period_start", "period_end", "meter_id", "version"),
    ),
    Meter: ("meter", _fields("id", "owner_id", "kind", "name", "version")),
    MeterReading: ("reading", _fields("id", "meter_id", "reading_date", "index_value")),
    TopUp: ("line", _fields("id", "meter_id", "amount_minor", "balance_after_minor")),
}
_CREATED_NAME = {"reading": "reading.created", "line": "line.topped_up"}


def envelope(event_type: str, data: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """The body every endpoint receives (Standard Webhooks' recommended shape, versioned)."""
    return {
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "timestamp": (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def _version_changed(row: Any) -> bool:
    history = inspect(row).attrs.version.history
    return bool(history.added and history.deleted)


def _changes(session: Session) -> Iterable[tuple[uuid.UUID, str, dict[str, Any]]]:
    """(tenant, event type, data) for every published change in this flush."""
    for row in session.new:
        published = _PUBLISHED.get(type(row))
        if published:
            prefix, data = published
            yield row.tenant_id, _CREATED_NAME.get(prefix, f"{prefix}.created"), data(row)
    for row in session.dirty:
        published = _PUBLISHED.get(type(row))
        if published and published[0] in ("consumption", "meter") and _version_changed(row):
            prefix, data = published
            yield row.tenant_id, f"{prefix}.updated", data(row)
    for row in session.deleted:
        published = _PUBLISHED.get(type(row))
        if published and published[0] in ("consumption", "meter"):
            prefix, data = published
            yield row.tenant_id, f"{prefix}.deleted", data(row)


def _endpoints_of(tenant_id: uuid.UUID) -> Select[tuple[uuid.UUID, list[str]]]:
    """The tenant's active endpoints and what each subscribed to."""
    return select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.is_active.is_(True)
    )


def enqueue(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    endpoint_id: uuid.UUID,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
) -> uuid.UUID:
    """An outbox row for one endpoint and its delivery job, in the session's transaction."""
    delivery_id = uuid.uuid4()
    session.execute(
        insert(WebhookDelivery).values(
            tenant_id=tenant_id,
            id=delivery_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            status="pending",
        )
    )
    defer_in_transaction(
        session,
        DELIVERY_TASK,
        queue=DELIVERY_QUEUE,
        args={"tenant_id": str(tenant_id), "delivery_id": str(delivery_id)},
    )
    return delivery_id


@event.listens_for(Session, "after_flush")
def _publish(session: Session, _context: Any) -> None:
    changes = list(_changes(session))
    if not changes:
        return
    subscribers: dict[uuid.UUID, list[tuple[uuid.UUID, list[str]]]] = {}
    for tenant_id, event_type, data in changes:
        if tenant_id not in subscribers:
            subscribers[tenant_id] = [(row[0], row[1]) for row in session.execute(_endpoints_of(tenant_id))]
        targets = [endpoint_id for endpoint_id, types in subscribers[tenant_id] if event_type in types]
        if not targets:
            continue
        event_id, payload = new_event_id(), envelope(event_type, data)
        for endpoint_id in targets:
            enqueue(
                session, tenant_id, endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, payload=payload
            )


def publish(session: Session, tenant_id: uuid.UUID, event_type: str, data: dict[str, Any]) -> int:
    """An event a service names itself (one that no single row's flush stands for: an import's
    commit), to every active endpoint of the tenant subscribed to it, in the session's
    transaction. Returns how many deliveries were queued."""
    targets = [row[0] for row in session.execute(_endpoints_of(tenant_id)) if event_type in row[1]]
    if targets:
        event_id, payload = new_event_id(), envelope(event_type, data)
        for endpoint_id in targets:
            enqueue(
                session, tenant_id, endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, payload=payload
            )
    return len(targets)
