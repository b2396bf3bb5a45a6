"""Webhook endpoints (owner and admins), their deliveries, and the delivery attempt itself.

At least once, unordered: a delivery may arrive twice (a worker killed after sending and
before recording) and events of one endpoint may overtake each other (retries); receivers
de-duplicate on `webhook-id` and order by the payload's `timestamp`.
"""

from __future__ import annotations

import base64
import random
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from consumo.jobs import defer_in_transaction
from consumo.paging import Page, by_time_and_id, keyset_page
from consumo.problems import Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from consumo.security import sealing
from consumo.security.identity import Caller
from consumo.versioning import touch
from consumo.webhooks import delivery as sender
from consumo.webhooks.events import (
    DELIVERY_QUEUE,
    DELIVERY_TASK,
    EVENT_TYPES,
    TEST_EVENT,
    enqueue,
    envelope,
    new_event_id,
)
from consumo.webhooks.models import WebhookDelivery, WebhookEndpoint

MANAGER_ROLES = frozenset({"owner", "admin"})
MAX_ENDPOINTS = 20
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=3)
# Retries: 30 s doubling, capped at 4 h, each ±20 % (jitter spreads a recovering receiver's
# load): 30 s, 1 min, 2 min, … 4 h, 4 h, 4 h, 4 h — about 24 h over 15 attempts.
FIRST_RETRY_S = 30
MAX_RETRY_S = 4 * 3600
MAX_ATTEMPTS = 15


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    base = min(FIRST_RETRY_S * 2 ** (attempts - 1), MAX_RETRY_S)
    return timedelta(seconds=base * (rng or random).uniform(0.8, 1.2))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _require_manager(caller: Caller) -> None:
    if caller.role not in MANAGER_ROLES:
        raise Forbidden("Only the tenant's owner and admins manage webhooks.", code="team.admins_only")


def _endpoints_of(caller: Caller) -> Select[tuple[WebhookEndpoint]]:
    """The endpoints the caller sees: the tenant's for owners and admins, none for the others
    (so one endpoint is a 404 to them, as another tenant's is; lists and creates say 403)."""
    statement = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == caller.tenant_id)
    return statement if caller.role in MANAGER_ROLES else statement.where(false())


def get_endpoint(session: Session, caller: Caller, endpoint_id: uuid.UUID, *, lock: bool = False) -> WebhookEndpoint:
    statement = _endpoints_of(caller).where(WebhookEndpoint.id == endpoint_id)
    found = session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if found is None:
        raise NotFound("No such webhook endpoint.", code="webhook.not_found")
    return found


ENDPOINTS_OLDEST_FIRST = by_time_and_id(WebhookEndpoint.created_at, WebhookEndpoint.id, descending=False)
DELIVERIES_NEWEST_FIRST = by_time_and_id(WebhookDelivery.created_at, WebhookDelivery.id, descending=True)


def list_endpoints(session: Session, caller: Caller, *, limit: int, cursor: str | None) -> Page[WebhookEndpoint]:
    _require_manager(caller)
    return keyset_page(session, _endpoints_of(caller), ENDPOINTS_OLDEST_FIRST, limit=limit, cursor=cursor)


def reseal_all_secrets(session: Session) -> int:
    """Every endpoint's secrets sealed again under the first WEBHOOK_SECRET_KEYS key (after a new
    key was put first), so the old key can then be dropped. The session must see every tenant
    (the table owner's). Returns how many endpoints were resealed."""
    endpoints = session.execute(select(WebhookEndpoint)).scalars().all()
    for endpoint in endpoints:
        endpoint.sealed_secret = sealing.reseal(endpoint.sealed_secret)
        if endpoint.sealed_previous_secret:
            endpoint.sealed_previous_secret = sealing.reseal(endpoint.sealed_previous_secret)
    session.flush()
    return len(endpoints)


def _check_url(url: str) -> None:
    """Refused at save time too (the delivery checks again: the name may resolve elsewhere later).
    A name that does not resolve yet is accepted: its deliveries fail and are retried."""
    try:
        sender.resolve_checked(url)
    except sender.UnresolvedHost:
        return
    except sender.RefusedDestination as exc:
        raise UnprocessableContent(str(exc), field="url", code="webhook.url_refused") from None


def _check_event_types(types: Sequence[str]) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise UnprocessableContent(
            f"Unknown event types: {', '.join(unknown)}.", field="event_types", code="webhook.unknown_event"
        )
    return sorted(set(types))


def create_endpoint(session: Session, caller: Caller, data: dict[str, Any]) -> WebhookEndpoint:
    _require_manager(caller)
    count = len(session.execute(_endpoints_of(caller).with_only_columns(WebhookEndpoint.id)).all())
    if count >= MAX_ENDPOINTS:
        raise UnprocessableContent(
            f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints.",
            code="webhook.too_many",
            params={"limit": MAX_ENDPOINTS},
        )
    _check_url(data["url"])
    now = datetime.now(UTC)
    endpoint = WebhookEndpoint(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        url=data["url"],
        description=data.get("description") or "",
        event_types=_check_event_types(data["event_types"]),
        is_active=data.get("active", True),
        secret=new_secret(),
        version=1,
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
        updated_by=caller.user_id,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def update_endpoint(
    session: Session,
    caller: Caller,
    endpoint_id: uuid.UUID,
    *,
    precondition: Callable[[int], bool],
    changes: dict[str, Any],
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, caller, endpoint_id, lock=True)
    if not precondition(endpoint.version):
        raise PreconditionFailed("The endpoint changed since you read it.", code="version.stale")
    if "url" in changes:
        _check_url(changes["url"])
        endpoint.url = changes["url"]
    if "event_types" in changes:
        endpoint.event_types = _check_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"] or ""
    if "active" in changes:
        endpoint.is_active = changes["active"]
        if changes["active"]:  # re-enabled by hand: a fresh start
            endpoint.disabled_reason = None
            endpoint.failing_since = None
    touch(endpoint, caller)
    session.flush()
    return endpoint


def delete_endpoint(
    session: Session, caller: Caller, endpoint_id: uuid.UUID, *, precondition: Callable[[int], bool]
) -> None:
    endpoint = get_endpoint(session, caller, endpoint_id, lock=True)
    if not precondition(endpoint.version):
        raise PreconditionFailed("The endpoint changed since you read it.", code="version.stale")
    session.delete(endpoint)
    session.flush()


def rotate_secret(session: Session, caller: Caller, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    endpoint = get_endpoint(session, caller, endpoint_id, lock=True)
    endpoint.sealed_previous_secret = endpoint.sealed_secret
    endpoint.previous_secret_expires_at = datetime.now(UTC) + PREVIOUS_SECRET_GRACE
    endpoint.secret = new_secret()
    touch(endpoint, caller)
    session.flush()
    return endpoint


def send_test(session: Session, caller: Caller, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint (whatever it subscribed to, even if disabled)."""
    endpoint = get_endpoint(session, caller, endpoint_id)
    data = {"endpoint_id": str(endpoint.id), "message": "A test event sent from Consumo."}
    delivery_id = enqueue(
        session,
        endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event_id=new_event_id(),
        event_type=TEST_EVENT,
        payload=envelope(TEST_EVENT, data),
    )
    return _delivery_of(session, caller, endpoint, delivery_id)


def _deliveries_of(caller: Caller, endpoint: WebhookEndpoint) -> Select[tuple[WebhookDelivery]]:
    return select(WebhookDelivery).where(
        WebhookDelivery.tenant_id == endpoint.tenant_id, WebhookDelivery.endpoint_id == endpoint.id
    )


def _delivery_of(
    session: Session, caller: Caller, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    found = session.execute(
        _deliveries_of(caller, endpoint).where(WebhookDelivery.id == delivery_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such delivery.", code="webhook.delivery_not_found")
    return found


def get_delivery(session: Session, caller: Caller, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    return _delivery_of(session, caller, get_endpoint(session, caller, endpoint_id), delivery_id)


def list_deliveries(
    session: Session, caller: Caller, endpoint_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[WebhookDelivery]:
    endpoint = get_endpoint(session, caller, endpoint_id)
    return keyset_page(
        session,
        _deliveries_of(caller, endpoint),
        DELIVERIES_NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
        scope=endpoint.id,
    )


def redeliver(session: Session, caller: Caller, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """The same event (same `webhook-id` and body) sent again, as a new delivery."""
    endpoint = get_endpoint(session, caller, endpoint_id)
    original = _delivery_of(session, caller, endpoint, delivery_id)
    again = enqueue(
        session,
        endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event_id=original.event_id,
        event_type=original.event_type,
        payload=original.payload,
    )
    return _delivery_of(session, caller, endpoint, again)


# --- the attempt (run by the worker) --------------------------------------------------------


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    keys = [endpoint.secret]
    previous, expires = endpoint.sealed_previous_secret, endpoint.previous_secret_expires_at
    if previous and expires and expires > now:
        keys.append(sealing.unseal(previous))
    return keys


def _delivery_for_worker(session: Session, delivery_id: uuid.UUID, *, lock: bool) -> WebhookDelivery | None:
    """The worker's session is bound to the job's tenant (row-level security scopes it)."""
    statement = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    return session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()


def _endpoint_for_worker(session: Session, delivery: WebhookDelivery, *, lock: bool) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id)
    return session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()


def attempt_delivery(session: Session, delivery_id: uuid.UUID, *, rng: random.Random | None = None) -> str | None:
    """Send one delivery and record the outcome; on failure schedule the next attempt (in the
    same transaction as the record) or give up, and disable an endpoint failing for 3 days.
    The caller commits. Returns the delivery's status (None if it no longer exists)."""
    delivery = _delivery_for_worker(session, delivery_id, lock=False)
    if delivery is None or delivery.status in ("succeeded", "failed"):
        return delivery.status if delivery else None
    endpoint = _endpoint_for_worker(session, delivery, lock=False)
    if endpoint is None:
        return None
    if not endpoint.is_active and delivery.event_type != TEST_EVENT:
        delivery.status, delivery.error, delivery.next_retry_at = "failed", "The endpoint is disabled.", None
        return delivery.status
    now = datetime.now(UTC)
    url, keys, event_id, payload = endpoint.url, _signing_secrets(endpoint, now), delivery.event_id, delivery.payload
    session.commit()  # no transaction (nor lock) is held while the receiver answers

    outcome = sender.send(url, keys, event_id, payload)
    return _record(session, delivery_id, outcome, rng)


def _record(session: Session, delivery_id: uuid.UUID, outcome: sender.Outcome, rng: random.Random | None) -> str | None:
    """The attempt's outcome, and what follows: done, another attempt later, or given up."""
    delivery = _delivery_for_worker(session, delivery_id, lock=True)
    if delivery is None:
        return None
    endpoint = _endpoint_for_worker(session, delivery, lock=True)
    now = datetime.now(UTC)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.response_body = outcome.body
    delivery.error = outcome.error
    delivery.next_retry_at = None
    if outcome.succeeded:
        delivery.status = "succeeded"
        if endpoint is not None:
            endpoint.failing_since = None
        return delivery.status
    if endpoint is not None and delivery.event_type != TEST_EVENT:
        _note_failure(endpoint, now, outcome)
    if delivery.attempts >= MAX_ATTEMPTS or (endpoint is not None and not endpoint.is_active):
        delivery.status = "failed"
        return delivery.status
    delivery.status = "retrying"
    delivery.next_retry_at = now + retry_delay(delivery.attempts, rng)
    defer_in_transaction(
        session,
        DELIVERY_TASK,
        queue=DELIVERY_QUEUE,
        args={"tenant_id": str(delivery.tenant_id), "delivery_id": str(delivery.id)},
        at=delivery.next_retry_at,
    )
    return delivery.status


def _note_failure(endpoint: WebhookEndpoint, now: datetime, outcome: sender.Outcome) -> None:
    """An endpoint failing every delivery for 3 days is disabled, with the reason shown to its owner."""
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.is_active and now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.is_active = False
        endpoint.disabled_reason = (
            f"Disabled at {now.isoformat(timespec='seconds')}: every delivery failed for 3 days "
            f"(since {endpoint.failing_since.isoformat(timespec='seconds')}). Last error: {outcome.error}"
        )[:500]
