"""Accounts: registration, login, sessions with rotating refresh tokens, the user's profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import idna
from sqlalchemy import Select, func, select, text, update
from sqlalchemy.orm import Session

from consumo.accounts.models import AuthSession, RefreshToken, Tenant, User
from consumo.audit import hook as audit
from consumo.config import get_settings
from consumo.db import bind_tenant, flush_unique
from consumo.problems import Conflict, FieldError, Unauthorized, UnprocessableContent
from consumo.security.identity import Caller
from consumo.security.passwords import hash_password, needs_rehash, verify_password
from consumo.security.tokens import (
    hash_refresh_token,
    issue_access_token,
    new_refresh_secret,
    split_refresh_token,
)
from consumo.text import visible_name

TAKEN: dict[str, FieldError] = {
    "uq_users_username": {"field": "username", "message": "This username is already taken.", "code": "username.taken"},
    "uq_users_email": {"field": "email", "message": "This email is already taken.", "code": "email.taken"},
}


class RefreshTokenReused(Exception):
    """A spent refresh token was presented again: its session has been revoked."""


class SignInFailed(Unauthorized):
    """A wrong password (or an inactive account) for a login that names an account: the failed
    sign-in is recorded in the audit trail, which the handler commits before answering 401."""

    def __init__(self) -> None:
        super().__init__("The username or password is incorrect.", code="auth.bad_credentials")


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    user: User
    tenant: Tenant


def _now() -> datetime:
    return datetime.now(UTC)


def check_password_rules(password: str, *, username: str, email: str, field: str) -> None:
    lowered = password.lower()
    if lowered in (username.lower(), email.lower()):
        raise UnprocessableContent(
            "The password must not be the username or the email.", field=field, code="password.matches_identity"
        )


def register(
    session: Session, *, username: str, email: str, password: str, organization_name: str | None
) -> tuple[User, Tenant]:
    username, email = username.lower(), email.lower()
    check_password_rules(password, username=username, email=email, field="password")
    tenant_id = uuid.uuid4()
    bind_tenant(session, tenant_id)
    name = visible_name(organization_name, field="organization_name") if organization_name is not None else username
    tenant = Tenant(id=tenant_id, name=name)
    session.add(tenant)
    session.flush()
    user = User(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        username=username,
        email=email,
        password_hash=hash_password(password),
        role="owner",
        is_active=True,
        token_version=1,
    )
    session.add(user)
    flush_unique(session, TAKEN)
    session.refresh(tenant)
    session.refresh(user)
    return user, tenant


def _tenant_of_login(session: Session, login: str) -> uuid.UUID | None:
    # Before login the tenant is unknown and RLS hides every user; this SECURITY DEFINER
    # function answers only "which tenant holds this login", nothing else.
    return session.execute(text("SELECT consumo_login_tenant(:login)"), {"login": login}).scalar()


def open_session(session: Session, user: User, tenant: Tenant) -> IssuedTokens:
    settings = get_settings()
    auth_session = AuthSession(
        tenant_id=user.tenant_id,
        id=uuid.uuid4(),
        user_id=user.id,
        expires_at=_now() + timedelta(seconds=settings.refresh_token_ttl_s),
    )
    session.add(auth_session)
    session.flush()
    return _issue(session, user, tenant, auth_session)


def _issue(session: Session, user: User, tenant: Tenant, auth_session: AuthSession) -> IssuedTokens:
    refresh = new_refresh_secret(user.tenant_id)
    session.add(
        RefreshToken(
            tenant_id=user.tenant_id,
            id=uuid.uuid4(),
            session_id=auth_session.id,
            token_hash=hash_refresh_token(refresh),
        )
    )
    session.flush()
    access, ttl = issue_access_token(
        user_id=user.id, tenant_id=user.tenant_id, session_id=auth_session.id, token_version=user.token_version
    )
    return IssuedTokens(access, ttl, refresh, user, tenant)


def normalized_login(login: str) -> str:
    """A login string as the accounts store it: lower-case, and an email's internationalised
    domain in its ASCII (`xn--`) form, so `user@bücher.example` names the account stored as
    `user@xn--bcher-kva.example`."""
    login = login.strip()
    local, at, domain = login.rpartition("@")
    if at and local and not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            pass  # no account has such an address: the login simply names nobody
        login = f"{local}@{domain}"
    return login.lower()


def login(session: Session, *, login: str, password: str) -> IssuedTokens:
    """Same answer, in about the same time, for an unknown login and a wrong password."""
    login = normalized_login(login)
    tenant_id = _tenant_of_login(session, login)
    user: User | None = None
    if tenant_id is not None:
        bind_tenant(session, tenant_id)
        user = session.execute(
            select(User).where((func.lower(User.username) == login) | (func.lower(User.email) == login))
        ).scalar_one_or_none()
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        if user is not None:
            # Kept although the request fails: the handler commits it (a failed sign-in of a
            # login naming no account has no tenant to be recorded in).
            audit.record_event(
                session,
                tenant_id=user.tenant_id,
                action="sign_in_failed",
                entity_type="users",
                entity_id=str(user.id),
                changes={"reason": {"after": "inactive" if password_ok else "wrong_password"}},
                actor_user_id=user.id,
            )
            raise SignInFailed()
        raise Unauthorized("The username or password is incorrect.", code="auth.bad_credentials")
    audit.set_actor(session, user.id)
    audit.name_change(session, user, "sign_in")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = _now()
    tenant = session.get_one(Tenant, user.tenant_id)
    return open_session(session, user, tenant)


def refresh(session: Session, *, refresh_token: str) -> IssuedTokens:
    tenant_id = split_refresh_token(refresh_token)
    if tenant_id is None:
        raise Unauthorized("The refresh token is invalid.", code="auth.refresh_invalid")
    bind_tenant(session, tenant_id)
    token = session.execute(_refresh_token_named(tenant_id, refresh_token).with_for_update()).scalar_one_or_none()
    if token is None:
        raise Unauthorized("The refresh token is invalid.", code="auth.refresh_invalid")
    auth_session = session.execute(
        select(AuthSession).where(AuthSession.id == token.session_id).with_for_update()
    ).scalar_one()
    if auth_session.revoked_at is not None or auth_session.expires_at <= _now():
        raise Unauthorized("The session has ended; log in again.", code="auth.session_ended")
    if token.used_at is not None:
        # Someone replays a spent token: either it was stolen, or the thief already used
        # it. Either way the whole session is revoked.
        auth_session.revoked_at = _now()
        auth_session.revoked_reason = "refresh_reuse"
        session.flush()
        raise RefreshTokenReused()
    token.used_at = _now()
    user = session.execute(select(User).where(User.id == auth_session.user_id)).scalar_one()
    if not user.is_active:
        raise Unauthorized("The session has ended; log in again.", code="auth.session_ended")
    tenant = session.get_one(Tenant, user.tenant_id)
    return _issue(session, user, tenant, auth_session)


def account_of_login(session: Session, login: str) -> str | None:
    """The account a login string (its username or its email, in any case) names, as one key
    for both spellings; None when none does."""
    login = normalized_login(login)
    tenant_id = _tenant_of_login(session, login)
    if tenant_id is None:
        return None
    bind_tenant(session, tenant_id)
    user_id = session.execute(
        select(User.id).where((func.lower(User.username) == login) | (func.lower(User.email) == login))
    ).scalar_one_or_none()
    return f"{tenant_id}:{user_id}" if user_id else None


def end_session(session: Session, *, tenant_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Revokes one session: its refresh tokens and its access tokens stop working."""
    bind_tenant(session, tenant_id)
    _revoke_for_logout(session, tenant_id, session_id)


def _revoke_for_logout(session: Session, tenant_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Revokes a session still open, recording the logout in the audit trail."""
    ended = session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason="logout")
        .returning(AuthSession.user_id)
    ).scalar_one_or_none()
    if ended is not None:
        audit.record_event(
            session,
            tenant_id=tenant_id,
            action="logout",
            entity_type="users",
            entity_id=str(ended),
            changes={"session_id": {"after": str(session_id)}},
            actor_user_id=ended,
        )


def logout(session: Session, *, refresh_token: str | None) -> None:
    if not refresh_token:
        return
    tenant_id = split_refresh_token(refresh_token)
    if tenant_id is None:
        return
    bind_tenant(session, tenant_id)
    token = session.execute(_refresh_token_named(tenant_id, refresh_token)).scalar_one_or_none()
    if token is None:
        return
    _revoke_for_logout(session, tenant_id, token.session_id)


def _refresh_token_named(tenant_id: uuid.UUID, refresh_token: str) -> Select[tuple[RefreshToken]]:
    """The stored refresh token a presented one names: its tenant travels in the token."""
    return select(RefreshToken).where(
        RefreshToken.tenant_id == tenant_id, RefreshToken.token_hash == hash_refresh_token(refresh_token)
    )


def tenant_members(caller: Caller) -> Select[tuple[User]]:
    """The one scoping of users: the members of the caller's tenant."""
    return select(User).where(User.tenant_id == caller.tenant_id)


def current_user(session: Session, caller: Caller, *, for_update: bool = False) -> tuple[User, Tenant]:
    """The caller's own row (locked until commit `for_update`, so one account's changes and
    its deletion happen one after the other). An account deleted since its token was
    checked is a 401, like its token from now on."""
    statement = tenant_members(caller).where(User.id == caller.user_id)
    user = session.execute(statement.with_for_update() if for_update else statement).scalar_one_or_none()
    tenant = session.get(Tenant, caller.tenant_id)
    if user is None or tenant is None:
        raise Unauthorized("This account no longer exists.", code="auth.account_gone")
    return user, tenant


def update_profile(session: Session, caller: Caller, *, username: str, email: str) -> tuple[User, Tenant]:
    user, tenant = current_user(session, caller, for_update=True)
    username, email = username.lower(), email.lower()
    # The rule register and password change apply: the password is neither the username nor
    # the email. Only a changed name needs the (costly) check against the password's hash.
    for field, value, current in (("username", username, user.username), ("email", email, user.email)):
        if value != current and verify_password(user.password_hash, value):
            raise UnprocessableContent(
                f"The {field} must not be your password.",
                field=field,
                code="profile.is_password",
                params={"field": field},
            )
    user.username, user.email = username, email
    user.updated_at = _now()
    flush_unique(session, TAKEN)
    return user, tenant


def change_password(session: Session, caller: Caller, *, current_password: str, new_password: str) -> None:
    user, _ = current_user(session, caller, for_update=True)
    if not verify_password(user.password_hash, current_password):
        raise UnprocessableContent(
            "The current password is incorrect.", field="current_password", code="password.current_wrong"
        )
    check_password_rules(new_password, username=user.username, email=user.email, field="new_password")
    audit.name_change(session, user, "password_change")
    user.password_hash = hash_password(new_password)
    user.token_version += 1  # every access token issued before stops working
    user.updated_at = _now()
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason="password_change")
    )
    session.flush()


def delete_account(session: Session, caller: Caller) -> None:
    user, tenant = current_user(session, caller, for_update=True)
    others = session.execute(
        select(func.count()).select_from(
            tenant_members(caller).where(User.id != user.id, User.removed_at.is_(None)).subquery()
        )
    ).scalar_one()
    if others == 0:
        session.delete(tenant)  # the last member: the tenant goes with them
    else:
        if user.role == "owner":
            other_owners = session.execute(
                select(func.count()).select_from(
                    tenant_members(caller)
                    .where(
                        User.id != user.id,
                        User.role == "owner",
                        User.is_active.is_(True),
                        User.removed_at.is_(None),
                    )
                    .subquery()
                )
            ).scalar_one()
            if other_owners == 0:
                raise Conflict(
                    "You are the last active owner of an organisation that has other members: hand it "
                    "over first (POST /tenant/transfer-ownership, or Team → Make owner in the "
                    "web app), or remove the other members.",
                    code="account.last_owner",
                )
        session.delete(user)
    session.flush()
