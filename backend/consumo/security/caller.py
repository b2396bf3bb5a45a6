"""Who is calling, at the web edge: the verified token, checked against the database once per request."""

from __future__ import annotations

from datetime import UTC, datetime

import flask
from connexion import context

from consumo.audit import hook as audit_hook
from consumo.db import open_caller_transaction, open_token_transaction
from consumo.http import db_session
from consumo.logging import bind_log_context
from consumo.problems import Unauthorized
from consumo.security.identity import Caller
from consumo.security.tokens import AccessClaims, ApiTokenCredentials


def current_caller() -> Caller:
    """The authenticated caller of this request; 401 if the token no longer holds.

    A token stops holding when its user is deleted or deactivated, its password changed
    (token_version), or its session was revoked (logout, refresh reuse) or expired. A personal
    API token stops holding when it is revoked or expires, or its user is deleted or deactivated.
    """
    cached: Caller | None = flask.g.get("caller")
    if cached is not None:
        return cached
    token_info = context.context.get("token_info") or {}
    api_token = token_info.get("api_token")
    if isinstance(api_token, ApiTokenCredentials):
        caller = _api_token_caller(api_token)
    else:
        caller = _session_caller(token_info.get("claims"))
    flask.g.caller = caller
    audit_hook.set_actor(db_session(), caller.user_id, caller.api_token_id)
    bind_log_context(tenant_id=str(caller.tenant_id), user_id=str(caller.user_id))
    return caller


def _session_caller(claims: object) -> Caller:
    if not isinstance(claims, AccessClaims):
        raise Unauthorized(code="auth.required")
    row = open_caller_transaction(db_session(), claims.tenant_id, claims.user_id, claims.session_id)
    if (
        row is None
        or not row.is_active
        or row.token_version != claims.token_version
        or row.revoked_at is not None
        or row.expires_at <= datetime.now(UTC)
    ):
        raise Unauthorized("The access token has been revoked.", code="auth.token_revoked")
    return Caller(claims.user_id, claims.tenant_id, claims.session_id, row.role, row.time_zone, row.default_currency)


def _api_token_caller(credentials: ApiTokenCredentials) -> Caller:
    row = open_token_transaction(db_session(), credentials.tenant_id, credentials.token_hash, flask.request.remote_addr)
    if row is None or not row.is_active or (row.expires_at is not None and row.expires_at <= datetime.now(UTC)):
        raise Unauthorized("The API token is invalid, expired or revoked.", code="auth.api_token_invalid")
    # A read token's write was refused already, by the scheme's check (`tokens.verify_api_token`,
    # from the scope letter inside the hashed secret: the row's `can_write` cannot differ).
    return Caller(
        row.user_id,
        credentials.tenant_id,
        row.token_id,  # a token call has no login session; the token stands in for it
        row.role,
        row.time_zone,
        row.default_currency,
        api_token_id=row.token_id,
    )


def check_api_token_scope() -> None:
    """Before every handler: a call with a personal API token is authenticated against the
    database before the handler does anything else (its scope was checked by the scheme)."""
    try:
        token_info = context.context.get("token_info")
    except (LookupError, RuntimeError):  # not a request Connexion routed
        return
    if token_info and isinstance(token_info.get("api_token"), ApiTokenCredentials):
        current_caller()
