"""Tenant administration: the tenant's settings, its members and their roles, invitations and
ownership. The rules:

- owners and admins manage the team; only owners make, change or remove admins and owners;
- nobody changes their own role or deactivates themselves;
- the tenant always keeps an active owner (a change that would leave none is a 409), and
  every team change locks the tenant row first, so two concurrent changes cannot both pass;
- a deactivated or removed member's tokens stop working at once (token_version and sessions,
  as a password change does);
- a removed member stays as a *former member*: their records, meters and the audit trail keep
  their owner, their username and e-mail are released, and they can never sign in again;
- invitations are single-use tokens stored hashed, valid `INVITATION_TTL_DAYS`; a person
  belongs to one tenant, so an e-mail with an account anywhere cannot be invited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from consumo.accounts import service as accounts
from consumo.accounts.models import AuthSession, Tenant, User
from consumo.api_models import MemberUpdate, TenantUpdate
from consumo.audit import hook as audit
from consumo.config import get_settings
from consumo.db import bind_tenant, flush_unique
from consumo.mail import send_mail
from consumo.paging import Page, by_text_and_id, by_time_and_id, keyset_page
from consumo.problems import Conflict, Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from consumo.security.identity import Caller
from consumo.security.passwords import hash_password
from consumo.security.tokens import hash_refresh_token, new_refresh_secret, split_refresh_token
from consumo.team.models import Invitation
from consumo.text import visible_name

InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]
PRIVILEGED = ("owner", "admin")


def _now() -> datetime:
    return datetime.now(UTC)


# --- scoping: the only places that decide which invitations a caller reaches ---------------


def tenant_invitations(caller: Caller) -> Select[tuple[Invitation]]:
    return select(Invitation).where(Invitation.tenant_id == caller.tenant_id)


def _invitation_named(tenant_id: uuid.UUID, token: str) -> Select[tuple[Invitation]]:
    """The stored invitation a presented token names: its tenant travels in the token."""
    return select(Invitation).where(
        Invitation.tenant_id == tenant_id, Invitation.token_hash == hash_refresh_token(token)
    )


def _current_members(caller: Caller) -> Select[tuple[User]]:
    return accounts.tenant_members(caller).where(User.removed_at.is_(None))


# --- the tenant ------------------------------------------------------------------------------


def _lock_team(session: Session, caller: Caller) -> Tenant:
    tenant = session.execute(select(Tenant).where(Tenant.id == caller.tenant_id).with_for_update()).scalar_one()
    return tenant


def get_tenant(session: Session, caller: Caller) -> Tenant:
    return session.get_one(Tenant, caller.tenant_id)


def _require_manager(caller: Caller, what: str) -> None:
    if not caller.manages_team:
        raise Forbidden(f"Only owners and admins {what}.", code="team.admins_only")


def update_tenant(
    session: Session, caller: Caller, *, precondition: Callable[[int], bool], changes: TenantUpdate
) -> Tenant:
    _require_manager(caller, "change the organisation's settings")
    tenant = _lock_team(session, caller)
    if not precondition(tenant.version):
        raise PreconditionFailed("The organisation was changed since you read it; read it again.", code="version.stale")
    if changes.time_zone is not None:
        try:
            ZoneInfo(changes.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnprocessableContent(
                "Not a known IANA time zone.", field="time_zone", code="tenant.time_zone_unknown"
            ) from None
        tenant.time_zone = changes.time_zone
    if changes.name is not None:
        tenant.name = visible_name(changes.name, field="name")
    if changes.default_currency is not None:
        tenant.default_currency = changes.default_currency
    if changes.locale is not None:
        tenant.locale = changes.locale
    tenant.version += 1
    tenant.updated_at = _now()
    session.flush()
    return tenant


# --- members ---------------------------------------------------------------------------------


MEMBERS_BY_USERNAME = by_text_and_id(User.username, User.id)


def list_members(
    session: Session,
    caller: Caller,
    *,
    role: str | None,
    active: bool | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> Page[User]:
    if not caller.can_read_tenant:
        raise Forbidden("Only owners, admins and viewers see the team.", code="team.members_hidden")
    statement = _current_members(caller)
    if role:
        statement = statement.where(User.role == role)
    if active is not None:
        statement = statement.where(User.is_active.is_(active))
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(User.username.like(pattern), User.email.like(pattern)))
    return keyset_page(session, statement, MEMBERS_BY_USERNAME, limit=limit, cursor=cursor)


def get_member(session: Session, caller: Caller, member_id: uuid.UUID) -> User:
    if not caller.can_read_tenant and member_id != caller.user_id:
        raise NotFound("No such member.", code="member.not_found")
    member = session.execute(_current_members(caller).where(User.id == member_id)).scalar_one_or_none()
    if member is None:
        raise NotFound("No such member.", code="member.not_found")
    return member


def _target(session: Session, caller: Caller, member_id: uuid.UUID) -> User:
    member = session.execute(
        _current_members(caller).where(User.id == member_id).with_for_update()
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("No such member.", code="member.not_found")
    return member


def _check_may_manage(caller: Caller, target: User, new_role: str | None = None) -> None:
    _require_manager(caller, "manage the team")
    if caller.role != "owner" and (target.role in PRIVILEGED or new_role in PRIVILEGED):
        raise Forbidden("Only owners make, change or remove admins and owners.", code="team.owners_only")


def _revoke_tokens(session: Session, member: User, reason: str) -> None:
    member.token_version += 1  # every access token issued before stops working
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == member.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason=reason)
    )


def _ensure_an_active_owner(session: Session, caller: Caller) -> None:
    session.flush()
    owners = session.execute(
        select(func.count()).select_from(
            _current_members(caller).where(User.role == "owner", User.is_active.is_(True)).subquery()
        )
    ).scalar_one()
    if owners == 0:
        raise Conflict(
            "The organisation must keep an active owner: make another member owner first "
            "(POST /tenant/transfer-ownership).",
            code="team.last_owner",
        )


def _touch(member: User) -> None:
    member.version += 1
    member.updated_at = _now()


def update_member(
    session: Session,
    caller: Caller,
    member_id: uuid.UUID,
    *,
    precondition: Callable[[int], bool],
    changes: MemberUpdate,
) -> User:
    _require_manager(caller, "manage the team")
    _lock_team(session, caller)
    target = _target(session, caller, member_id)
    if target.id == caller.user_id:
        raise Forbidden("Nobody changes their own role or deactivates themselves.", code="team.own_role")
    new_role = changes.role
    _check_may_manage(caller, target, new_role)
    if not precondition(target.version):
        raise PreconditionFailed("The member was changed since you read them; read again.", code="version.stale")
    if new_role is not None and new_role != target.role:
        target.role = new_role
        audit.name_change(session, target, "role_change")
    if changes.is_active is not None and changes.is_active != target.is_active:
        target.is_active = changes.is_active
        if not target.is_active:
            _revoke_tokens(session, target, "deactivated")
            if new_role is None or new_role == target.role:
                audit.name_change(session, target, "deactivate")
        elif new_role is None:
            audit.name_change(session, target, "reactivate")
    _touch(target)
    _ensure_an_active_owner(session, caller)
    return target


def remove_member(
    session: Session, caller: Caller, member_id: uuid.UUID, *, precondition: Callable[[int], bool]
) -> None:
    """Removes a member (or, for oneself, leaves): they become a former member."""
    _lock_team(session, caller)
    target = _target(session, caller, member_id)
    if target.id != caller.user_id:
        _check_may_manage(caller, target)
    if not precondition(target.version):
        raise PreconditionFailed("The member was changed since you read them; read again.", code="version.stale")
    target.removed_at = _now()
    target.is_active = False
    target.username = f"former-{target.id.hex[:24]}"
    target.email = f"former-{target.id.hex}@removed.invalid"
    target.password_hash = "!removed"  # matches no password
    _revoke_tokens(session, target, "removed")
    audit.name_change(session, target, "remove")
    _touch(target)
    _ensure_an_active_owner(session, caller)


def transfer_ownership(session: Session, caller: Caller, member_id: uuid.UUID) -> User:
    if caller.role != "owner":
        raise Forbidden("Only an owner hands the organisation over.", code="team.owners_only")
    _lock_team(session, caller)
    target = _target(session, caller, member_id)
    if target.id == caller.user_id:
        raise UnprocessableContent(
            "You are an owner already; choose another member.", field="member_id", code="team.already_owner"
        )
    if not target.is_active:
        raise UnprocessableContent(
            "Reactivate this member before making them owner.", field="member_id", code="team.member_inactive"
        )
    me = _target(session, caller, caller.user_id)
    if target.role != "owner":
        target.role = "owner"
        audit.name_change(session, target, "role_change")
        _touch(target)
    me.role = "admin"
    audit.name_change(session, me, "role_change")
    _touch(me)
    _ensure_an_active_owner(session, caller)
    return target


# --- invitations -----------------------------------------------------------------------------


def invitation_status(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or _now()):
        return "expired"
    return "pending"


INVITATIONS_NEWEST_FIRST = by_time_and_id(Invitation.created_at, Invitation.id, descending=True)


def _pending_condition(now: datetime) -> Any:
    return and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


def list_invitations(
    session: Session, caller: Caller, *, status: str | None, limit: int, cursor: str | None
) -> Page[Invitation]:
    _require_manager(caller, "see invitations")
    now = _now()
    statement = tenant_invitations(caller)
    if status == "pending":
        statement = statement.where(_pending_condition(now))
    elif status == "accepted":
        statement = statement.where(Invitation.accepted_at.is_not(None))
    elif status == "revoked":
        statement = statement.where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_not(None))
    elif status == "expired":
        statement = statement.where(
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at <= now
        )
    return keyset_page(session, statement, INVITATIONS_NEWEST_FIRST, limit=limit, cursor=cursor)


def get_invitation(session: Session, caller: Caller, invitation_id: uuid.UUID) -> Invitation:
    _require_manager(caller, "see invitations")
    invitation = session.execute(tenant_invitations(caller).where(Invitation.id == invitation_id)).scalar_one_or_none()
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation.not_found")
    return invitation


def _email_has_account(session: Session, email: str) -> bool:
    # An account in any tenant: RLS hides other tenants, so ask the login lookup function.
    return session.execute(text("SELECT consumo_login_tenant(:login)"), {"login": email}).scalar() is not None


def accept_url(token: str) -> str:
    return f"{get_settings().public_web_url.rstrip('/')}/accept-invitation#token={token}"


def create_invitation(session: Session, caller: Caller, *, email: str, role: str) -> tuple[Invitation, str, bool]:
    """The invitation, its token (shown once) and whether it was e-mailed."""
    _require_manager(caller, "invite people")
    if caller.role != "owner" and role in PRIVILEGED:
        raise Forbidden("Only owners invite admins.", code="team.owners_only")
    _lock_team(session, caller)  # invitations to one address replace each other one at a time
    email = email.lower()
    if _email_has_account(session, email):
        raise Conflict(
            "This e-mail already has a Consumo account (a person belongs to one organisation).",
            field="email",
            code="email.registered",
        )
    now = _now()
    session.execute(
        update(Invitation)
        .where(
            Invitation.id.in_(
                tenant_invitations(caller)
                .with_only_columns(Invitation.id)
                .where(Invitation.email == email, _pending_condition(now))
            )
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = new_refresh_secret(caller.tenant_id)
    invitation = Invitation(
        tenant_id=caller.tenant_id,
        id=uuid.uuid4(),
        email=email,
        role=role,
        token_hash=hash_refresh_token(token),
        invited_by=caller.user_id,
        created_at=now,
        expires_at=now + timedelta(days=get_settings().invitation_ttl_days),
    )
    session.add(invitation)
    session.flush()
    tenant = session.get_one(Tenant, caller.tenant_id)
    emailed = send_mail(
        email,
        f"You are invited to {tenant.name} on Consumo",
        f"You have been invited to join {tenant.name} on Consumo as {role}.\n\n"
        f"Accept the invitation here (the link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n"
        f"{accept_url(token)}\n",
    )
    return invitation, token, emailed


def revoke_invitation(session: Session, caller: Caller, invitation_id: uuid.UUID) -> None:
    _require_manager(caller, "revoke invitations")
    invitation = session.execute(
        tenant_invitations(caller).where(Invitation.id == invitation_id).with_for_update()
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation.not_found")
    if caller.role != "owner" and invitation.role in PRIVILEGED:
        raise Forbidden("Only owners revoke invitations of admins.", code="team.owners_only")
    status = invitation_status(invitation)
    if status == "accepted":
        raise Conflict("This invitation was accepted already; manage the member instead.", code="invitation.accepted")
    if status == "pending":
        invitation.revoked_at = _now()
        session.flush()


def _redeemable(session: Session, token: str, *, for_update: bool) -> tuple[Invitation, Tenant]:
    tenant_id = split_refresh_token(token)
    if tenant_id is None:
        raise NotFound("No such invitation.", code="invitation.not_found")
    bind_tenant(session, tenant_id)
    statement = _invitation_named(tenant_id, token)
    invitation = session.execute(statement.with_for_update() if for_update else statement).scalar_one_or_none()
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation.not_found")
    status = invitation_status(invitation)
    if status != "pending":
        raise Conflict(
            {
                "accepted": "This invitation was used already.",
                "revoked": "This invitation was revoked.",
                "expired": "This invitation has expired; ask for a new one.",
            }[status],
            field="token",
            code="invitation.not_pending",
        )
    return invitation, session.get_one(Tenant, invitation.tenant_id)


def preview_invitation(session: Session, token: str) -> tuple[Invitation, Tenant]:
    return _redeemable(session, token, for_update=False)


def accept_invitation(session: Session, *, token: str, username: str, password: str) -> accounts.IssuedTokens:
    invitation, tenant = _redeemable(session, token, for_update=True)
    username = username.lower()
    accounts.check_password_rules(password, username=username, email=invitation.email, field="password")
    if _email_has_account(session, invitation.email):
        raise Conflict("This e-mail has a Consumo account already.", field="email", code="email.registered")
    user = User(
        tenant_id=invitation.tenant_id,
        id=uuid.uuid4(),
        username=username,
        email=invitation.email,
        password_hash=hash_password(password),
        role=invitation.role,
        is_active=True,
        token_version=1,
        version=1,
        last_login_at=_now(),
    )
    session.add(user)
    audit.set_actor(session, user.id)
    flush_unique(session, accounts.TAKEN)
    invitation.accepted_at = _now()
    invitation.accepted_user_id = user.id
    session.flush()
    # Accepting signs the new member in: recorded like any sign-in.
    audit.record_event(
        session,
        tenant_id=user.tenant_id,
        action="sign_in",
        entity_type="users",
        entity_id=str(user.id),
        actor_user_id=user.id,
    )
    session.refresh(user)
    return accounts.open_session(session, user, tenant)
