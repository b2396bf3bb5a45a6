"""HTTP handlers for /tenant, its members and invitations, and accepting an invitation."""

from __future__ import annotations

import uuid
from typing import Any

import flask

from consumo import api_models as api
from consumo.accounts.handlers import token_response
from consumo.accounts.models import Tenant, User
from consumo.config import get_settings
from consumo.http import db_session, etag_for, required_if_match, respond, typed_body
from consumo.ratelimit import rate_limit
from consumo.security.caller import current_caller
from consumo.team import service
from consumo.team.models import Invitation


def tenant_model(tenant: Tenant) -> api.TenantSettings:
    return api.TenantSettings(
        id=tenant.id,
        name=tenant.name,
        default_currency=tenant.default_currency,
        time_zone=tenant.time_zone,
        locale=tenant.locale,
        version=tenant.version,
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


def member_model(user: User) -> api.Member:
    return api.Member(
        id=user.id,
        username=user.username,
        email=user.email,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        version=user.version,
    )


def _invitation_fields(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "status": service.invitation_status(invitation),
        "invited_by": invitation.invited_by,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
    }


def invitation_model(invitation: Invitation) -> api.Invitation:
    return api.Invitation(**_invitation_fields(invitation))


def get_tenant() -> flask.Response:
    tenant = service.get_tenant(db_session(), current_caller())
    return respond(tenant_model(tenant), headers={"ETag": etag_for(tenant.version)})


def update_tenant(body: dict[str, Any]) -> flask.Response:
    session = db_session()
    changes = typed_body(api.TenantUpdate, body)
    tenant = service.update_tenant(session, current_caller(), precondition=required_if_match(), changes=changes)
    session.refresh(tenant)
    return respond(tenant_model(tenant), headers={"ETag": etag_for(tenant.version)})


def list_members(
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> flask.Response:
    page = service.list_members(
        db_session(), current_caller(), role=role, active=active, q=q, limit=limit, cursor=cursor
    )
    return respond(api.MemberPage(items=[member_model(user) for user in page.items], next_cursor=page.next_cursor))


def get_member(member_id: str) -> flask.Response:
    member = service.get_member(db_session(), current_caller(), uuid.UUID(member_id))
    return respond(member_model(member), headers={"ETag": etag_for(member.version)})


def update_member(member_id: str, body: dict[str, Any]) -> flask.Response:
    member = service.update_member(
        db_session(),
        current_caller(),
        uuid.UUID(member_id),
        precondition=required_if_match(),
        changes=typed_body(api.MemberUpdate, body),
    )
    return respond(member_model(member), headers={"ETag": etag_for(member.version)})


def remove_member(member_id: str) -> flask.Response:
    service.remove_member(db_session(), current_caller(), uuid.UUID(member_id), precondition=required_if_match())
    return respond(None, 204)


def transfer_ownership(body: dict[str, Any]) -> flask.Response:
    member = service.transfer_ownership(db_session(), current_caller(), uuid.UUID(body["member_id"]))
    return respond(member_model(member))


def list_invitations(status: str | None = None, limit: int = 25, cursor: str | None = None) -> flask.Response:
    page = service.list_invitations(db_session(), current_caller(), status=status, limit=limit, cursor=cursor)
    return respond(api.InvitationPage(items=[invitation_model(i) for i in page.items], next_cursor=page.next_cursor))


def create_invitation(body: dict[str, Any]) -> flask.Response:
    session = db_session()
    invitation, token, emailed = service.create_invitation(
        session, current_caller(), email=body["email"], role=body["role"]
    )
    session.refresh(invitation)
    created = api.InvitationCreated(
        **_invitation_fields(invitation), token=token, accept_url=service.accept_url(token), emailed=emailed
    )
    return respond(created, 201, {"Location": f"/api/v1/tenant/invitations/{invitation.id}"})


def get_invitation(invitation_id: str) -> flask.Response:
    invitation = service.get_invitation(db_session(), current_caller(), uuid.UUID(invitation_id))
    return respond(invitation_model(invitation))


def revoke_invitation(invitation_id: str) -> flask.Response:
    service.revoke_invitation(db_session(), current_caller(), uuid.UUID(invitation_id))
    return respond(None, 204)


@rate_limit(lambda: get_settings().register_rate_limit)
def preview_invitation(body: dict[str, Any]) -> flask.Response:
    invitation, tenant = service.preview_invitation(db_session(), body["token"])
    return respond(
        api.InvitationPreview(
            tenant_name=tenant.name, email=invitation.email, role=invitation.role, expires_at=invitation.expires_at
        )
    )


@rate_limit(lambda: get_settings().register_rate_limit)
def accept_invitation(body: dict[str, Any]) -> flask.Response:
    issued = service.accept_invitation(
        db_session(), token=body["token"], username=body["username"], password=body["password"]
    )
    response = token_response(issued)
    response.status_code = 201
    response.headers["Location"] = "/api/v1/user"
    return response
