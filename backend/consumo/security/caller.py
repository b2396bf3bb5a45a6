"""Who is calling, at the web edge: the verified token, checked against the database once per request."""

from __future__ import annotations

from datetime import UTC, datetime

import flask
from connexion import context

from consumo.audit import hook as audit_hook
from consumo.db import open_caller_transaction
from consumo.http import db_session
from consumo.logging import bind_log_context
from consumo.problems import Unauthorized
from consumo.security.identity import Caller
from consumo.security.tokens import AccessClaims


def current_caller() -> Caller:
    """The authenticated caller of this request; 401 if the token no longer holds.

    A token stops holding when its user is deleted or deactivated, its password changed
    (token_version), or its session was revoked (logout, refresh reuse) or expired.
    """
    cached: Caller | None = flask.g.get("caller")
    if cached is not None:
        return cached
    token_info = context.context.get("token_info") or {}
    claims = token_info.get("claims")
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
    caller = Caller(claims.user_id, claims.tenant_id, claims.session_id, row.role, row.time_zone, row.default_currency)
    flask.g.caller = caller
    audit_hook.set_actor(db_session(), caller.user_id, caller.api_token_id)
    bind_log_context(tenant_id=str(caller.tenant_id), user_id=str(caller.user_id))
    return caller
