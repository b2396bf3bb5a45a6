"""Events, taken from the changes themselves: one generic hook on every flush turns new,
edited and deleted rows of the published kinds into outbox rows (`webhook_deliveries`) and
deferred delivery jobs, on the flushing transaction's own connection. A rolled-back change
therefore sends nothing, and a committed one is never lost. No service has to remember to
publish anything.

"updated" means a new version (an edit under If-Match: `versioning.touch`); a balance moved by a
top-up or a simulation is not a meter edit. A deleted meter's records are detached by one bulk
statement; `meters.service.delete_meter` announces each of them itself (`publish`).

Alerts as events: `line.balance_low` is published here, when a flush moves a line's balance (or
its threshold) from at-or-above its threshold to under it. `budget.projected_over` and
`line.allowance_exhausted` need the month's projection and the cycle's usage: a change to an
owner's records, budgets or meters defers one `evaluate_alerts` job for that owner (in the same
transaction, under a queueing lock, so a burst of changes makes one job), which publishes each
alert once per month or cycle (`alerts/marks.py`).

Payloads are thin: the event names the object and its key fields; a receiver GETs the current
state with an API token. Each event's `data` is described in the contract (`x-webhooks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, insert, inspect, select
from sqlalchemy.orm import Session

from consumo.config import get_settings
from consumo.consumptions.models import ConsumptionRecord
from consumo.flushes import FlushedChanges, on_flush
from consumo.jobs import defer_in_transaction, defer_once_in_transaction
from consumo.kpis.models import Budget
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
    "reading.updated",
    "reading.deleted",
    "line.topped_up",
    "line.balance_low",
    "line.allowance_exhausted",
    "budget.projected_over",
    "import.completed",
)
TEST_EVENT = "webhook.test"
# Evaluated by the `evaluate_alerts` job (consumo/alerts/tasks.py), once per month or cycle.
EVALUATED_ALERTS = ("budget.projected_over", "line.allowance_exhausted")
EVALUATE_ALERTS_TASK = "evaluate_alerts"
ALERTS_QUEUE = "alerts"


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


def jsonable_row(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _json(value) for name, value in values.items()}


CONSUMPTION_EVENT_FIELDS = ("id", "owner_id", "kind", "quantity", "period_start", "period_end", "meter_id", "version")
_DETACHED = "webhook_detached_records"

# model → (prefix, what its events carry)
_PUBLISHED: dict[type, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    ConsumptionRecord: ("consumption", _fields(*CONSUMPTION_EVENT_FIELDS)),
    Meter: ("meter", _fields("id", "owner_id", "kind", "name", "version")),
    MeterReading: ("reading", _fields("id", "meter_id", "reading_date", "index_value", "version")),
    TopUp: ("line", _fields("id", "meter_id", "amount_minor", "balance_after_minor")),
}
_CREATED_NAME = {"line": "line.topped_up"}
# Published when edited (a new version) and when deleted; a top-up is never edited or deleted.
_EDITABLE = ("consumption", "meter", "reading")


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


def _changes(session: Session, flushed: FlushedChanges) -> Iterable[tuple[uuid.UUID, str, dict[str, Any]]]:
    """(tenant, event type, data) for every published change in this flush."""
    for row in flushed.created:
        published = _PUBLISHED.get(type(row))
        if published:
            prefix, data = published
            yield row.tenant_id, _CREATED_NAME.get(prefix, f"{prefix}.created"), data(row)
    for row in flushed.updated:
        published = _PUBLISHED.get(type(row))
        if published and published[0] in _EDITABLE and _version_changed(row):
            prefix, data = published
            yield row.tenant_id, f"{prefix}.updated", data(row)
        if isinstance(row, Meter) and row.is_line and _crossed_below_threshold(row):
            yield row.tenant_id, "line.balance_low", balance_low_data(row)
    for row in flushed.deleted:
        published = _PUBLISHED.get(type(row))
        if published and published[0] in _EDITABLE:
            prefix, data = published
            yield row.tenant_id, f"{prefix}.deleted", _with_detached(session, row, data(row))


def note_detached_records(session: Session, meter: Meter, count: int) -> None:
    """How many records the meter about to be deleted leaves detached (its `meter.deleted` says so)."""
    session.info.setdefault(_DETACHED, {})[meter.id] = count


def _with_detached(session: Session, row: Any, data: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row, Meter):
        data["detached_records"] = session.info.get(_DETACHED, {}).pop(row.id, 0)
    return data


def _before_and_after(row: Any, attribute: str) -> tuple[Any, Any]:
    history = inspect(row).attrs[attribute].history
    after = getattr(row, attribute)
    return (history.deleted[0] if history.deleted else after), after


def _crossed_below_threshold(meter: Meter) -> bool:
    """The line's balance is under its threshold now and was not before this flush (a balance
    taken down by usage, or a threshold raised above it). Once low, it is announced again only
    after it has been at or above its threshold (a top-up, a lower threshold)."""
    default = get_settings().line_balance_low_minor
    balance_before, balance_after = _before_and_after(meter, "balance_minor")
    own_before, own_after = _before_and_after(meter, "low_balance_minor")
    if balance_before is None or balance_after is None:
        return False
    threshold_before = own_before if own_before is not None else default
    threshold_after = own_after if own_after is not None else default
    return bool(balance_after < threshold_after and not balance_before < threshold_before)


def balance_low_data(meter: Meter) -> dict[str, Any]:
    return {
        "meter_id": str(meter.id),
        "owner_id": str(meter.owner_id),
        "name": meter.name,
        "currency": meter.currency,
        "balance_minor": meter.balance_minor,
        "low_balance_minor": meter.low_balance_threshold(get_settings().line_balance_low_minor),
    }


# What may move an owner's month projection or a line's allowances: their records, their kind
# budgets, and a meter's budget or plan.
_ALERT_INPUTS_OF_METER = ("monthly_budget_minor", *(f"plan_{name}" for name in ("data_mb", "voice_minutes", "sms")))


def _alert_owners(flushed: FlushedChanges) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, owner) whose budget projection or line allowances this flush may have moved."""
    owners: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for rows in (flushed.created, flushed.updated, flushed.deleted):
        for row in rows:
            if isinstance(row, (ConsumptionRecord, Budget)):
                owners.add((row.tenant_id, row.owner_id))
            elif isinstance(row, Meter) and any(
                inspect(row).attrs[name].history.has_changes() for name in _ALERT_INPUTS_OF_METER
            ):
                owners.add((row.tenant_id, row.owner_id))
    return owners


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


def publish(
    session: Session,
    tenant_id: uuid.UUID,
    events: Iterable[tuple[str, dict[str, Any]]],
    *,
    subscribers: list[tuple[uuid.UUID, list[str]]] | None = None,
) -> int:
    """Outbox rows (and their delivery jobs) for `events` — (type, data) — to every active
    endpoint of the tenant subscribed to each, in the session's transaction. Returns how many
    deliveries were enqueued."""
    endpoints = subscribers if subscribers is not None else _subscribers(session, tenant_id)
    enqueued = 0
    for event_type, data in events:
        targets = [endpoint_id for endpoint_id, types in endpoints if event_type in types]
        if not targets:
            continue
        event_id, payload = new_event_id(), envelope(event_type, data)
        for endpoint_id in targets:
            enqueue(
                session, tenant_id, endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, payload=payload
            )
            enqueued += 1
    return enqueued


def _subscribers(session: Session, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
    return [(row[0], row[1]) for row in session.execute(_endpoints_of(tenant_id))]


def wants(subscribers: list[tuple[uuid.UUID, list[str]]], event_types: Iterable[str]) -> bool:
    wanted = set(event_types)
    return any(wanted.intersection(types) for _, types in subscribers)


@on_flush
def _publish(session: Session, flushed: FlushedChanges) -> None:
    changes = list(_changes(session, flushed))
    owners = _alert_owners(flushed)
    if not changes and not owners:
        return
    subscribers: dict[uuid.UUID, list[tuple[uuid.UUID, list[str]]]] = {}

    def subscribers_of(tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
        if tenant_id not in subscribers:
            subscribers[tenant_id] = _subscribers(session, tenant_id)
        return subscribers[tenant_id]

    for tenant_id, event_type, data in changes:
        publish(session, tenant_id, [(event_type, data)], subscribers=subscribers_of(tenant_id))
    # Only a tenant with an endpoint that wants them pays for the evaluation.
    for tenant_id, owner_id in sorted(owners, key=str):
        evaluate_alerts_later(session, tenant_id, owner_id, subscribers=subscribers_of(tenant_id))


def evaluate_alerts_later(
    session: Session,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID,
    *,
    subscribers: list[tuple[uuid.UUID, list[str]]] | None = None,
) -> None:
    """Defers the owner's alert evaluation (coalesced per owner) in the session's transaction,
    when an endpoint of the tenant wants its events: a change made without the ORM (an import's
    set-based commit or revert) calls it, as the flush hook does for the others."""
    endpoints = subscribers if subscribers is not None else _subscribers(session, tenant_id)
    if wants(endpoints, EVALUATED_ALERTS):
        defer_once_in_transaction(
            session,
            EVALUATE_ALERTS_TASK,
            queue=ALERTS_QUEUE,
            lock=f"alerts:{tenant_id}:{owner_id}",
            args={"tenant_id": str(tenant_id), "owner_id": str(owner_id)},
        )
