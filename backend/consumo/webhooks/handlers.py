"""HTTP handlers for /webhooks: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from typing import Any

import flask

from consumo import api_models as api
from consumo.http import db_session, etag_for, required_if_match, respond
from consumo.security.caller import current_caller
from consumo.webhooks import service
from consumo.webhooks.models import WebhookDelivery, WebhookEndpoint

BASE_PATH = "/api/v1/webhooks"


def _fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "version": endpoint.version,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def endpoint_model(endpoint: WebhookEndpoint) -> api.WebhookEndpoint:
    return api.WebhookEndpoint(**_fields(endpoint))


def with_secret(endpoint: WebhookEndpoint) -> api.WebhookEndpointWithSecret:
    return api.WebhookEndpointWithSecret(**_fields(endpoint), secret=endpoint.secret)


def delivery_model(delivery: WebhookDelivery) -> api.WebhookDelivery:
    return api.WebhookDelivery(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        response_status=delivery.response_status,
        duration_ms=delivery.duration_ms,
        response_body=delivery.response_body,
        error=delivery.error,
        next_retry_at=delivery.next_retry_at,
        last_attempt_at=delivery.last_attempt_at,
        created_at=delivery.created_at,
    )


def _headers(endpoint: WebhookEndpoint) -> dict[str, str]:
    return {"ETag": etag_for(endpoint.version)}


def list_webhooks(limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_endpoints(db_session(), current_caller(), limit=limit, cursor=cursor)
    return respond(api.WebhookEndpointPage(items=[endpoint_model(e) for e in page.items], next_cursor=page.next_cursor))


def create_webhook(body: dict[str, Any]) -> flask.Response:
    endpoint = service.create_endpoint(db_session(), current_caller(), body)
    headers = {"Location": f"{BASE_PATH}/{endpoint.id}", "Cache-Control": "no-store", **_headers(endpoint)}
    return respond(with_secret(endpoint), 201, headers=headers)


def get_webhook(webhook_id: str) -> flask.Response:
    endpoint = service.get_endpoint(db_session(), current_caller(), uuid.UUID(webhook_id))
    return respond(endpoint_model(endpoint), headers=_headers(endpoint))


def update_webhook(webhook_id: str, body: dict[str, Any]) -> flask.Response:
    precondition = required_if_match()
    endpoint = service.update_endpoint(
        db_session(), current_caller(), uuid.UUID(webhook_id), precondition=precondition, changes=body
    )
    return respond(endpoint_model(endpoint), headers=_headers(endpoint))


def delete_webhook(webhook_id: str) -> flask.Response:
    precondition = required_if_match()
    service.delete_endpoint(db_session(), current_caller(), uuid.UUID(webhook_id), precondition=precondition)
    return respond(None, 204)


def rotate_webhook_secret(webhook_id: str) -> flask.Response:
    endpoint = service.rotate_secret(db_session(), current_caller(), uuid.UUID(webhook_id))
    return respond(with_secret(endpoint), headers={"Cache-Control": "no-store", **_headers(endpoint)})


def send_webhook_test(webhook_id: str) -> flask.Response:
    delivery = service.send_test(db_session(), current_caller(), uuid.UUID(webhook_id))
    return respond(delivery_model(delivery), 201, headers={"Location": _delivery_path(delivery)})


def _delivery_path(delivery: WebhookDelivery) -> str:
    return f"{BASE_PATH}/{delivery.endpoint_id}/deliveries/{delivery.id}"


def get_webhook_delivery(webhook_id: str, delivery_id: str) -> flask.Response:
    delivery = service.get_delivery(db_session(), current_caller(), uuid.UUID(webhook_id), uuid.UUID(delivery_id))
    return respond(delivery_model(delivery))


def list_webhook_deliveries(webhook_id: str, limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_deliveries(db_session(), current_caller(), uuid.UUID(webhook_id), limit=limit, cursor=cursor)
    return respond(api.WebhookDeliveryPage(items=[delivery_model(d) for d in page.items], next_cursor=page.next_cursor))


def redeliver_webhook(webhook_id: str, delivery_id: str) -> flask.Response:
    delivery = service.redeliver(db_session(), current_caller(), uuid.UUID(webhook_id), uuid.UUID(delivery_id))
    return respond(delivery_model(delivery), 201, headers={"Location": _delivery_path(delivery)})
