"""Access tokens (JWT, HS256 pinned) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from consumo.apitokens.service import hash_token, parse_token
from consumo.config import get_settings
from consumo.problems import Forbidden, Unauthorized

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "tid", "sid", "ver"]


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    token_version: int


def issue_access_token(
    *, user_id: uuid.UUID, tenant_id: uuid.UUID, session_id: uuid.UUID, token_version: int, now: datetime | None = None
) -> tuple[str, int]:
    settings = get_settings()
    now = now or datetime.now(UTC)
    ttl = settings.access_token_ttl_s
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "tid": str(tenant_id),
        "sid": str(session_id),
        "ver": token_version,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, settings.effective_jwt_secret, algorithm=ALGORITHM), ttl


def decode_access_token(token: str) -> AccessClaims:
    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            settings.effective_jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=5,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            session_id=uuid.UUID(claims["sid"]),
            token_version=int(claims["ver"]),
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError, AttributeError):
        # AttributeError: uuid.UUID() given a non-string claim (a number, a list).
        raise Unauthorized("The access token is invalid or expired.", code="auth.token_invalid") from None


def verify_bearer_token(token: str) -> Any:
    """Connexion's bearer check: signature and claims only. Whether the user, the session
    and the token version are still current is checked against the database by
    `consumo.security.caller.current_caller`. A personal API token is left to `apiToken`."""
    from connexion.security import NO_VALUE  # here: the domain imports this module without Connexion

    if token.startswith(API_TOKEN_PREFIX):
        return NO_VALUE
    claims = decode_access_token(token)
    return {"sub": str(claims.user_id), "claims": claims}


# --- personal API tokens ------------------------------------------------------------------

API_TOKEN_PREFIX = "cns_"


@dataclass(frozen=True)
class ApiTokenCredentials:
    tenant_id: uuid.UUID
    token_hash: str


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def verify_api_token(token: str, request: Any) -> Any:
    """Connexion's check of the `apiToken` scheme: the token's shape only (a JWT is left to
    `bearerAuth`), and a read token's write refused (403) before the request is validated: the
    one place the read scope is enforced (Connexion passes `request` because it is a parameter).
    Whether the token exists, has not expired and its user is active is checked against the
    database by `consumo.security.caller.current_caller`."""
    from connexion.security import NO_VALUE

    if not token.startswith(API_TOKEN_PREFIX):
        return NO_VALUE
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthorized("The API token is invalid, expired or revoked.", code="auth.api_token_invalid")
    tenant_id, can_write = parsed
    if not can_write and request.method.upper() not in SAFE_METHODS:
        raise Forbidden("This API token has the read scope only.", code="auth.api_token_read_only")
    return {"sub": None, "api_token": ApiTokenCredentials(tenant_id, hash_token(token))}


# --- refresh tokens ---------------------------------------------------------------------


def new_refresh_secret(tenant_id: uuid.UUID) -> str:
    # The tenant travels in the token so the lookup runs inside that tenant's RLS scope;
    # it is not a secret, and a forged tenant just finds no matching hash.
    return f"{tenant_id}.{secrets.token_urlsafe(32)}"


def split_refresh_token(token: str) -> uuid.UUID | None:
    tenant_part, _, secret = token.partition(".")
    if not secret:
        return None
    try:
        return uuid.UUID(tenant_part)
    except ValueError:
        return None


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
