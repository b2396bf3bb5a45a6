"""Personal API tokens: create (the secret shown once), list, revoke.

A token is `cns_` + the tenant's id (32 hex digits) + its scope (`r` or `w`) + 43 characters of
a 256-bit random secret. The prefix lets secret scanners recognise a leaked one; the tenant in
it lets the lookup run inside that tenant's row-level security, as refresh tokens do (it is not
secret, and a forged tenant finds nothing); the scope lets a read token's write be refused
before the request is even parsed (changing the letter changes the hash: nothing matches).

Only the SHA-256 of the whole token is stored: the secret has 256 bits of entropy, so unlike a
password it cannot be guessed from its hash, and a fast hash can be looked up by index on every
request (a slow password hash would cost ~50 ms per API call and add nothing).

A token acts as its user, re-read on every request: deactivating or deleting the user ends it
at once (its rows go with the user), and a role change applies at once. A password change
does not revoke API tokens: they are credentials for unattended scripts that the user created
and listed one by one, and revoking them all on every password change would break integrations
silently; a user who fears a leak revokes the token (DELETE /user/tokens/{id}).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from consumo.apitokens.models import ApiToken
from consumo.paging import Page, by_time_and_id, keyset_page
from consumo.problems import Forbidden, NotFound, UnprocessableContent
from consumo.security.identity import Caller

PREFIX = "cns_"
_TENANT_HEX = 32
_SECRET_CHARS = 43  # secrets.token_urlsafe(32)
TOKEN_LENGTH = len(PREFIX) + _TENANT_HEX + 1 + _SECRET_CHARS
READ_ONLY, READ_WRITE = "r", "w"
MAX_LIFETIME = timedelta(days=366)  # "up to one year", with a day of slack for time zones
MAX_TOKENS_PER_USER = 50
NEVER_EXPIRING_ROLES = frozenset({"owner", "admin"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_token(token: str) -> tuple[uuid.UUID, bool] | None:
    """The tenant named by a well-formed token and whether it claims the write scope, or None
    if it is not one of ours. (The claim is checked again against the stored token.)"""
    if not token.startswith(PREFIX) or len(token) != TOKEN_LENGTH:
        return None
    scope = token[len(PREFIX) + _TENANT_HEX]
    if scope not in (READ_ONLY, READ_WRITE):
        return None
    try:
        return uuid.UUID(hex=token[len(PREFIX) : len(PREFIX) + _TENANT_HEX]), scope == READ_WRITE
    except ValueError:
        return None


def _new_token(tenant_id: uuid.UUID, can_write: bool) -> str:
    return f"{PREFIX}{tenant_id.hex}{READ_WRITE if can_write else READ_ONLY}{secrets.token_urlsafe(32)}"


def _tokens_of(caller: Caller) -> Select[tuple[ApiToken]]:
    """The caller's own tokens: nobody else's are ever listed or revoked, not even by an owner."""
    return select(ApiToken).where(ApiToken.tenant_id == caller.tenant_id, ApiToken.user_id == caller.user_id)


NEWEST_FIRST = by_time_and_id(ApiToken.created_at, ApiToken.id, descending=True)


def list_tokens(session: Session, caller: Caller, *, limit: int, cursor: str | None) -> Page[ApiToken]:
    return keyset_page(session, _tokens_of(caller), NEWEST_FIRST, limit=limit, cursor=cursor)


def create_token(
    session: Session, caller: Caller, *, name: str, scopes: Sequence[str], expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """The new token and its secret (which is not stored and cannot be shown again)."""
    if caller.api_token_id is not None:
        raise Forbidden("An API token cannot create API tokens; sign in to create one.", code="api_token.from_token")
    now = datetime.now(UTC)
    if expires_at is None:
        if caller.role not in NEVER_EXPIRING_ROLES:
            raise UnprocessableContent(
                "Only owners and admins may create a token that never expires.",
                field="expires_at",
                code="api_token.never_expires_forbidden",
            )
    elif expires_at <= now:
        raise UnprocessableContent(
            "The expiry must be in the future.", field="expires_at", code="api_token.expiry_past"
        )
    elif expires_at > now + MAX_LIFETIME:
        raise UnprocessableContent(
            "A token lives at most one year.", field="expires_at", code="api_token.expiry_too_far"
        )
    count = len(session.execute(_tokens_of(caller).with_only_columns(ApiToken.id).limit(MAX_TOKENS_PER_USER)).all())
    if count >= MAX_TOKENS_PER_USER:
        raise UnprocessableContent(
            f"A user holds at most {MAX_TOKENS_PER_USER} API tokens; revoke one first.",
            code="api_token.too_many",
            params={"limit": MAX_TOKENS_PER_USER},
        )
    can_write = "write" in scopes
    secret = _new_token(caller.tenant_id, can_write)
    token = ApiToken(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        user_id=caller.user_id,
        name=name.strip() or name,
        token_hash=hash_token(secret),
        hint=secret[-4:],
        can_write=can_write,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def get_token(session: Session, caller: Caller, token_id: uuid.UUID) -> ApiToken | None:
    return session.execute(_tokens_of(caller).where(ApiToken.id == token_id)).scalar_one_or_none()


def revoke_token(session: Session, caller: Caller, token_id: uuid.UUID) -> None:
    """Deleting is revoking: the next request with it is a 401."""
    found = get_token(session, caller, token_id)
    if found is None:
        raise NotFound("No such API token.", code="api_token.not_found")
    session.delete(found)
    session.flush()


def scopes_of(token: ApiToken) -> list[Literal["read", "write"]]:
    return ["read", "write"] if token.can_write else ["read"]
