"""HTTP handlers for /user/tokens: arguments in, service call, response out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import flask

from consumo import api_models as api
from consumo.apitokens import service
from consumo.apitokens.models import ApiToken
from consumo.http import db_session, respond
from consumo.problems import NotFound
from consumo.security.caller import current_caller

BASE_PATH = "/api/v1/user/tokens"


def token_model(token: ApiToken) -> api.ApiToken:
    return api.ApiToken(
        id=token.id,
        name=token.name,
        scopes=service.scopes_of(token),
        hint=token.hint,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        last_used_ip=token.last_used_ip,
    )


def list_api_tokens(limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_tokens(db_session(), current_caller(), limit=limit, cursor=cursor)
    return respond(api.ApiTokenPage(items=[token_model(t) for t in page.items], next_cursor=page.next_cursor))


def create_api_token(body: dict[str, Any]) -> flask.Response:
    expires = body.get("expires_at")
    token, secret = service.create_token(
        db_session(),
        current_caller(),
        name=body["name"],
        scopes=body["scopes"],
        expires_at=datetime.fromisoformat(expires) if isinstance(expires, str) else None,
    )
    created = api.ApiTokenCreated(**token_model(token).model_dump(), token=secret)
    return respond(created, 201, headers={"Location": f"{BASE_PATH}/{token.id}", "Cache-Control": "no-store"})


def get_api_token(token_id: str) -> flask.Response:
    token = service.get_token(db_session(), current_caller(), uuid.UUID(token_id))
    if token is None:
        raise NotFound("No such API token.", code="api_token.not_found")
    return respond(token_model(token))


def revoke_api_token(token_id: str) -> flask.Response:
    service.revoke_token(db_session(), current_caller(), uuid.UUID(token_id))
    return respond(None, 204)
