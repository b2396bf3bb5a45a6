"""Who is calling: the verified token, checked against the database once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask
from connexion import context

from consumo.db import open_caller_transaction
from consumo.http import db_session
from consumo.logging import bind_log_context
from consumo.problems import Unauthorized
from consumo.security.tokens import AccessClaims

READ_TENANT_ROLES = frozenset({"owner", "admin", "viewer"})
WRITE_ROLES = frozenset({"owner", "admin", "member"})


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    time_zone: str = "UTC"
    default_currency: str = "EUR"  # the tenant's, for records and meters created without one

    def today(self) -> date:
        """Today in the tenant's time zone (UTC if the stored zone is unknown here)."""
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime.now(zone).date()

    @property
    def can_read_tenant(self) -> bool:
        return self.role in READ_TENANT_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES


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
        raise Unauthorized()
    row = open_caller_transaction(db_session(), claims.tenant_id, claims.user_id, claims.session_id)
    if (
        row is None
        or not row.is_active
        or row.token_version != claims.token_version
        or row.revoked_at is not None
        or row.expires_at <= datetime.now(UTC)
    ):
        raise Unauthorized("The access token has been revoked.")
    caller = Caller(claims.user_id, claims.tenant_id, claims.session_id, row.role, row.time_zone,
                    row.default_currency)
    flask.g.caller = caller
    bind_log_context(tenant_id=str(caller.tenant_id), user_id=str(caller.user_id))
    return caller
