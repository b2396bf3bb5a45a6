"""Tenant administration: settings, members and roles, invitations (also e-mailed over a real
SMTP server), ownership, and what happens to a deactivated or removed member."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import API, Account, create_record

PASSWORD = "s3cret-passw0rd"


def invite(inviter: Account, email: str, role: str) -> dict[str, Any]:
    response = inviter.post(f"{API}/tenant/invitations", json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/api/v1/tenant/invitations/{response.json()['id']}"
    return dict(response.json())


def accept(app: Any, token: str, username: str, password: str = PASSWORD) -> Any:
    return app.test_client().post(
        f"{API}/auth/accept-invitation", json={"token": token, "username": username, "password": password}
    )


def join(app: Any, inviter: Account, username: str, role: str) -> Account:
    invitation = invite(inviter, f"{username}@example.com", role)
    client = app.test_client()
    response = client.post(
        f"{API}/auth/accept-invitation",
        json={"token": invitation["token"], "username": username, "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["role"] == role and body["user"]["tenant"]["id"] == inviter.tenant_id
    return Account(
        client,
        username,
        f"{username}@example.com",
        PASSWORD,
        body["user"]["id"],
        inviter.tenant_id,
        body["access_token"],
    )


def etag(account: Account, member_id: str) -> str:
    response = account.get(f"{API}/tenant/members/{member_id}")
    assert response.status_code == 200, response.text
    return str(response.headers["ETag"])


@pytest.fixture
def team(app: Any, alice: Account) -> dict[str, Account]:
    admin = join(app, alice, "adam", "admin")
    member = join(app, alice, "mia", "member")
    viewer = join(app, alice, "vic", "viewer")
    return {"owner": alice, "admin": admin, "member": member, "viewer": viewer}


# --- the tenant ------------------------------------------------------------------------------


def test_everyone_reads_the_tenant_and_only_owners_and_admins_change_it(team: dict[str, Account]) -> None:
    for account in team.values():
        response = account.get(f"{API}/tenant")
        assert response.status_code == 200 and response.json()["name"] == "alice"
    tag = team["owner"].get(f"{API}/tenant").headers["ETag"]
    for role in ("member", "viewer"):
        refused = team[role].patch(f"{API}/tenant", json={"name": "X"}, headers={"If-Match": tag})
        assert refused.status_code == 403
    changed = team["admin"].patch(
        f"{API}/tenant",
        json={"name": "Casa", "time_zone": "Europe/Madrid", "locale": "es-ES"},
        headers={"If-Match": tag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Europe/Madrid" and changed.json()["version"] == 2
    stale = team["owner"].patch(f"{API}/tenant", json={"name": "Y"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    missing = team["owner"].patch(f"{API}/tenant", json={"name": "Y"})
    assert missing.status_code == 428
    bad_zone = team["owner"].patch(
        f"{API}/tenant", json={"time_zone": "Mars/Olympus"}, headers={"If-Match": changed.headers["ETag"]}
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "time_zone"


# --- members and roles -----------------------------------------------------------------------


def test_members_are_listed_with_filters_and_search_and_pages(team: dict[str, Account]) -> None:
    owner = team["owner"]
    everyone = owner.get(f"{API}/tenant/members?limit=2")
    assert everyone.status_code == 200
    first = everyone.json()
    assert [m["username"] for m in first["items"]] == ["adam", "alice"] and first["next_cursor"]
    rest = owner.get(f"{API}/tenant/members?limit=2&cursor={first['next_cursor']}").json()
    assert [m["username"] for m in rest["items"]] == ["mia", "vic"] and rest["next_cursor"] is None
    assert [m["username"] for m in owner.get(f"{API}/tenant/members?role=viewer").json()["items"]] == ["vic"]
    assert [m["username"] for m in owner.get(f"{API}/tenant/members?q=MI").json()["items"]] == ["mia"]
    assert owner.get(f"{API}/tenant/members?active=false").json()["items"] == []
    assert team["viewer"].get(f"{API}/tenant/members").status_code == 200
    assert team["member"].get(f"{API}/tenant/members").status_code == 403
    # a member reads themselves only
    assert team["member"].get(f"{API}/tenant/members/{team['member'].user_id}").status_code == 200
    assert team["member"].get(f"{API}/tenant/members/{owner.user_id}").status_code == 404


def test_admins_manage_members_and_viewers_only_and_only_owners_touch_admins(team: dict[str, Account]) -> None:
    admin, owner = team["admin"], team["owner"]
    member_id = team["member"].user_id
    made_viewer = admin.patch(
        f"{API}/tenant/members/{member_id}", json={"role": "viewer"}, headers={"If-Match": etag(owner, member_id)}
    )
    assert made_viewer.status_code == 200 and made_viewer.json()["role"] == "viewer"
    promote = admin.patch(
        f"{API}/tenant/members/{member_id}", json={"role": "admin"}, headers={"If-Match": etag(owner, member_id)}
    )
    assert promote.status_code == 403
    # Another admin, made by the owner, cannot be changed by an admin.
    other_admin = team["viewer"].user_id
    assert (
        owner.patch(
            f"{API}/tenant/members/{other_admin}",
            json={"role": "admin"},
            headers={"If-Match": etag(owner, other_admin)},
        ).status_code
        == 200
    )
    assert (
        admin.patch(
            f"{API}/tenant/members/{other_admin}",
            json={"is_active": False},
            headers={"If-Match": etag(owner, other_admin)},
        ).status_code
        == 403
    )
    assert (
        admin.delete(
            f"{API}/tenant/members/{owner.user_id}", headers={"If-Match": etag(owner, owner.user_id)}
        ).status_code
        == 403
    )
    # A member manages nobody.
    assert (
        team["member"]
        .patch(
            f"{API}/tenant/members/{owner.user_id}",
            json={"role": "member"},
            headers={"If-Match": etag(owner, owner.user_id)},
        )
        .status_code
        == 403
    )


def test_nobody_changes_their_own_role_or_deactivates_themselves(team: dict[str, Account]) -> None:
    for role in ("owner", "admin"):
        account = team[role]
        tag = etag(team["owner"], account.user_id)
        for change in ({"role": "viewer"}, {"is_active": False}):
            response = account.patch(f"{API}/tenant/members/{account.user_id}", json=change, headers={"If-Match": tag})
            assert response.status_code == 403, (role, change, response.text)


def test_the_last_active_owner_cannot_leave_and_the_account_deletion_says_what_to_do(
    team: dict[str, Account],
) -> None:
    owner = team["owner"]
    leave = owner.delete(f"{API}/tenant/members/{owner.user_id}", headers={"If-Match": etag(owner, owner.user_id)})
    assert leave.status_code == 409 and "transfer-ownership" in leave.json()["detail"]
    delete = owner.delete(f"{API}/user")
    assert delete.status_code == 409 and "transfer-ownership" in delete.json()["detail"]
    # A second owner who is deactivated does not count.
    second = team["admin"]
    assert (
        owner.patch(
            f"{API}/tenant/members/{second.user_id}",
            json={"role": "owner", "is_active": False},
            headers={"If-Match": etag(owner, second.user_id)},
        ).status_code
        == 200
    )
    assert owner.delete(f"{API}/user").status_code == 409


def test_an_owner_cannot_demote_the_other_owner_into_leaving_none(team: dict[str, Account]) -> None:
    owner, admin = team["owner"], team["admin"]
    assert (
        owner.patch(
            f"{API}/tenant/members/{admin.user_id}",
            json={"role": "owner"},
            headers={"If-Match": etag(owner, admin.user_id)},
        ).status_code
        == 200
    )
    # Two owners: each may demote the other, but not both: the tenant keeps one.
    assert (
        admin.patch(
            f"{API}/tenant/members/{owner.user_id}",
            json={"role": "admin"},
            headers={"If-Match": etag(admin, owner.user_id)},
        ).status_code
        == 200
    )
    assert (
        owner.patch(
            f"{API}/tenant/members/{admin.user_id}",
            json={"role": "member"},
            headers={"If-Match": etag(admin, admin.user_id)},
        ).status_code
        == 403
    )  # owner is an admin now: admins do not touch owners


def test_transfer_ownership_hands_the_tenant_over(team: dict[str, Account]) -> None:
    owner, member = team["owner"], team["member"]
    assert team["admin"].post(f"{API}/tenant/transfer-ownership", json={"member_id": member.user_id}).status_code == 403
    assert owner.post(f"{API}/tenant/transfer-ownership", json={"member_id": owner.user_id}).status_code == 422
    assert owner.post(f"{API}/tenant/transfer-ownership", json={"member_id": str(uuid.uuid4())}).status_code == 404
    moved = owner.post(f"{API}/tenant/transfer-ownership", json={"member_id": member.user_id})
    assert moved.status_code == 200 and moved.json()["role"] == "owner"
    assert owner.get(f"{API}/user").json()["role"] == "admin"
    # The former owner may now leave the tenant; their account deletion no longer answers 409.
    assert owner.delete(f"{API}/user").status_code == 204


def test_a_deactivated_members_tokens_stop_at_once_and_reactivation_lets_them_sign_in(
    app: Any, team: dict[str, Account]
) -> None:
    owner, member = team["owner"], team["member"]
    assert member.get(f"{API}/user").status_code == 200
    off = owner.patch(
        f"{API}/tenant/members/{member.user_id}",
        json={"is_active": False},
        headers={"If-Match": etag(owner, member.user_id)},
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert member.get(f"{API}/user").status_code == 401
    assert member.client.post(f"{API}/auth/refresh").status_code == 401
    login = app.test_client().post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD})
    assert login.status_code == 401
    on = owner.patch(
        f"{API}/tenant/members/{member.user_id}", json={"is_active": True}, headers={"If-Match": off.headers["ETag"]}
    )
    assert on.status_code == 200
    assert (
        app.test_client().post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD}).status_code == 200
    )


def test_a_removed_member_is_a_former_member_whose_records_stay(
    app: Any, team: dict[str, Account], owner_engine: Any
) -> None:
    owner, member = team["owner"], team["member"]
    record = create_record(member)
    removed = owner.delete(f"{API}/tenant/members/{member.user_id}", headers={"If-Match": etag(owner, member.user_id)})
    assert removed.status_code == 204
    assert member.get(f"{API}/user").status_code == 401
    assert (
        app.test_client().post(f"{API}/auth/login", json={"username": "mia", "password": PASSWORD}).status_code == 401
    )
    assert owner.get(f"{API}/tenant/members/{member.user_id}").status_code == 404
    # The record stays in the tenant, readable by the owner, still owned by the former member.
    kept = owner.get(f"{API}/consumptions/{record['id']}")
    assert kept.status_code == 200, kept.text
    # The e-mail is free again: the person may be invited anew (here or elsewhere).
    assert (
        owner.post(f"{API}/tenant/invitations", json={"email": "mia@example.com", "role": "member"}).status_code == 201
    )


def test_a_member_may_leave(team: dict[str, Account]) -> None:
    viewer = team["viewer"]
    assert (
        viewer.delete(
            f"{API}/tenant/members/{viewer.user_id}", headers={"If-Match": etag(team["owner"], viewer.user_id)}
        ).status_code
        == 204
    )
    assert viewer.get(f"{API}/user").status_code == 401


# --- invitations -----------------------------------------------------------------------------


def test_an_invitation_is_single_use_and_its_token_is_stored_hashed(
    app: Any, alice: Account, owner_engine: Any
) -> None:
    invitation = invite(alice, "nina@example.com", "member")
    assert invitation["status"] == "pending" and invitation["token"] in invitation["accept_url"]
    with owner_engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM invitations")).scalar_one()
    assert invitation["token"] not in stored and len(stored) == 64
    preview = app.test_client().post(f"{API}/auth/invitation-preview", json={"token": invitation["token"]})
    assert preview.status_code == 200 and preview.json() == {
        "tenant_name": "alice",
        "email": "nina@example.com",
        "role": "member",
        "expires_at": invitation["expires_at"],
    }
    assert accept(app, invitation["token"], "nina").status_code == 201
    again = accept(app, invitation["token"], "nina2")
    assert again.status_code == 409 and "used already" in again.json()["detail"]
    listed = alice.get(f"{API}/tenant/invitations").json()["items"]
    assert listed[0]["status"] == "accepted" and "token" not in listed[0]


def test_a_revoked_or_expired_invitation_cannot_be_redeemed(app: Any, alice: Account, owner_engine: Any) -> None:
    revoked = invite(alice, "rita@example.com", "viewer")
    assert alice.delete(f"{API}/tenant/invitations/{revoked['id']}").status_code == 204
    refused = accept(app, revoked["token"], "rita")
    assert refused.status_code == 409 and "revoked" in refused.json()["detail"]
    expired = invite(alice, "ezra@example.com", "viewer")
    with owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = :i"), {"i": expired["id"]}
        )
    refused = accept(app, expired["token"], "ezra")
    assert refused.status_code == 409 and "expired" in refused.json()["detail"]
    assert [i["id"] for i in alice.get(f"{API}/tenant/invitations?status=expired").json()["items"]] == [expired["id"]]


def test_an_invitation_cannot_be_redeemed_into_another_tenant(app: Any, alice: Account, bob: Account) -> None:
    invitation = invite(alice, "tom@example.com", "member")
    _, secret = invitation["token"].split(".", 1)
    forged = f"{bob.tenant_id}.{secret}"
    assert accept(app, forged, "tom").status_code == 404
    assert bob.get(f"{API}/tenant/invitations/{invitation['id']}").status_code == 404
    assert bob.delete(f"{API}/tenant/invitations/{invitation['id']}").status_code == 404


def test_an_email_registered_elsewhere_cannot_be_invited(alice: Account, bob: Account) -> None:
    response = alice.post(f"{API}/tenant/invitations", json={"email": "BOB@example.com", "role": "member"})
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "email"


def test_admins_invite_members_and_viewers_only(team: dict[str, Account]) -> None:
    assert (
        team["admin"].post(f"{API}/tenant/invitations", json={"email": "x@example.com", "role": "admin"}).status_code
        == 403
    )
    assert (
        team["admin"].post(f"{API}/tenant/invitations", json={"email": "x@example.com", "role": "viewer"}).status_code
        == 201
    )
    for role in ("member", "viewer"):
        assert (
            team[role].post(f"{API}/tenant/invitations", json={"email": "y@example.com", "role": "viewer"}).status_code
            == 403
        )


def test_a_new_invitation_to_the_same_address_revokes_the_pending_one(app: Any, alice: Account) -> None:
    first = invite(alice, "sam@example.com", "viewer")
    second = invite(alice, "sam@example.com", "member")
    assert accept(app, first["token"], "sam").status_code == 409
    accepted = accept(app, second["token"], "sam")
    assert accepted.status_code == 201 and accepted.json()["user"]["role"] == "member"


# --- e-mail over a real SMTP server ----------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def test_with_smtp_configured_the_invitation_is_emailed(app: Any, alice: Account, monkeypatch: Any) -> None:
    from aiosmtpd.controller import Controller

    from consumo.config import get_settings

    with socket.socket() as probe:  # a free port on loopback for the test's own SMTP server
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port)
    controller.start()
    try:
        monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port}")
        get_settings.cache_clear()
        invitation = invite(alice, "olga@example.com", "viewer")
    finally:
        controller.stop()
        monkeypatch.delenv("SMTP_URL")
        get_settings.cache_clear()
    assert invitation["emailed"] is True
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.rcpt_tos == ["olga@example.com"]
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert parsed["Subject"] == "You are invited to alice on Consumo"
    assert invitation["accept_url"] in parsed.get_content()


def test_without_smtp_the_invitation_is_only_shown(alice: Account) -> None:
    assert invite(alice, "pia@example.com", "viewer")["emailed"] is False
