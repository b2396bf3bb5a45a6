"""Personal API tokens: shown once, stored hashed, scoped, attributable, revocable, and
bound to their user's current state (deactivation, deletion, role)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from conftest import API, Account, add_member, assert_problem, contract_operations, create_record

TOKENS = f"{API}/user/tokens"
SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def make_token(
    account: Account, scopes: list[str], expires_at: str | None = SOON, name: str = "script"
) -> dict[str, Any]:
    response = account.post(TOKENS, json={"name": name, "scopes": scopes, "expires_at": expires_at})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{TOKENS}/{response.json()['id']}"
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_owner(owner_engine: Engine, tenant_id: str, sql: str, **params: Any) -> list[Any]:
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant_id})
        result = conn.execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []


def test_a_token_is_shown_once_with_a_recognisable_prefix_and_stored_only_as_its_hash(alice, owner_engine):
    created = make_token(alice, ["read"])
    secret = created["token"]
    assert re.fullmatch(r"cns_[0-9a-f]{32}r[A-Za-z0-9_-]{43}", secret)
    assert created["hint"] == secret[-4:] and created["scopes"] == ["read"]
    rows = as_owner(owner_engine, alice.tenant_id, "SELECT * FROM api_tokens")
    assert len(rows) == 1
    stored = rows[0]._mapping
    assert stored["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) and secret[40:] not in str(value) for value in stored.values())
    listed = alice.get(TOKENS).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    assert "token" not in alice.get(f"{TOKENS}/{created['id']}").json()


def test_a_token_acts_as_its_user_and_records_its_last_use(alice, client):
    secret = make_token(alice, ["read"])["token"]
    me = client.get(f"{API}/user", headers=bearer(secret))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == alice.user_id
    listed = alice.get(TOKENS).json()["items"][0]
    assert (
        listed["last_used_at"] is not None and listed["last_used_ip"] == "testclient"
    )  # the test client's address as the server sees it


def test_a_write_token_writes_and_a_read_token_reads(alice, client):
    writer = make_token(alice, ["read", "write"])["token"]
    reader = make_token(alice, ["read"])["token"]
    record = create_record(alice)
    created = client.post(
        f"{API}/consumptions",
        headers=bearer(writer),
        json={"kind": "water", "quantity": 1, "period_start": "2025-01-01", "period_end": "2025-01-02"},
    )
    assert created.status_code == 201, created.text
    assert client.get(f"{API}/consumptions/{record['id']}", headers=bearer(reader)).status_code == 200
    refused = client.post(
        f"{API}/consumptions",
        headers=bearer(reader),
        json={"kind": "water", "quantity": 1, "period_start": "2025-01-01", "period_end": "2025-01-02"},
    )
    assert_problem(refused, 403)


WRITE_OPERATIONS = [
    (method, path)
    for method, path, operation in contract_operations()
    if method != "GET" and operation.get("security") != []
]


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p in WRITE_OPERATIONS])
def test_a_read_token_is_refused_every_write_of_the_contract(alice, client, method, path):
    reader = make_token(alice, ["read"])["token"]
    url = API + re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
    response = client.request(method, url, headers={**bearer(reader), "If-Match": '"1"'}, json={})
    assert_problem(response, 403)


def test_tokens_cannot_create_tokens(alice, client):
    writer = make_token(alice, ["read", "write"])["token"]
    response = client.post(TOKENS, headers=bearer(writer), json={"name": "x", "scopes": ["read"], "expires_at": SOON})
    assert_problem(response, 403)


def test_a_revoked_token_stops_working_at_once(alice, client):
    created = make_token(alice, ["read"])
    assert client.get(f"{API}/user", headers=bearer(created["token"])).status_code == 200
    assert alice.delete(f"{TOKENS}/{created['id']}").status_code == 204
    assert_problem(client.get(f"{API}/user", headers=bearer(created["token"])), 401)
    assert_problem(alice.delete(f"{TOKENS}/{created['id']}"), 404)


def test_an_expired_token_is_refused(alice, client, owner_engine):
    created = make_token(alice, ["read"])
    as_owner(
        owner_engine,
        alice.tenant_id,
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = :i",
        i=created["id"],
    )
    assert_problem(client.get(f"{API}/user", headers=bearer(created["token"])), 401)


def test_a_forged_or_altered_token_is_refused(alice, client):
    secret = make_token(alice, ["read"])["token"]
    promoted = secret[:36] + "w" + secret[37:]  # claiming the write scope changes the hash
    assert_problem(client.get(f"{API}/user", headers=bearer(promoted)), 401)
    assert_problem(client.get(f"{API}/user", headers=bearer(secret[:-1] + ("A" if secret[-1] != "A" else "B"))), 401)
    assert_problem(client.get(f"{API}/user", headers=bearer("cns_nothing")), 401)
    other_tenant = "cns_" + uuid.uuid4().hex + secret[36:]
    assert_problem(client.get(f"{API}/user", headers=bearer(other_tenant)), 401)


def test_a_token_dies_with_its_user_deactivated_or_deleted(alice, client, owner_engine, app):
    member = add_member(owner_engine, app, alice, "carol", "member")
    token = make_token(member, ["read"])["token"]
    assert client.get(f"{API}/user", headers=bearer(token)).status_code == 200
    as_owner(owner_engine, alice.tenant_id, "UPDATE users SET is_active = false WHERE id = :i", i=member.user_id)
    assert_problem(client.get(f"{API}/user", headers=bearer(token)), 401)
    as_owner(owner_engine, alice.tenant_id, "UPDATE users SET is_active = true WHERE id = :i", i=member.user_id)
    assert client.get(f"{API}/user", headers=bearer(token)).status_code == 200
    assert member.delete(f"{API}/user").status_code == 204
    assert_problem(client.get(f"{API}/user", headers=bearer(token)), 401)
    assert (
        as_owner(owner_engine, alice.tenant_id, "SELECT id FROM api_tokens WHERE user_id = :i", i=member.user_id) == []
    )


def test_a_role_change_applies_to_a_token_at_once(alice, client, owner_engine, app):
    member = add_member(owner_engine, app, alice, "dave", "member")
    token = make_token(member, ["read", "write"])["token"]
    record = {"kind": "water", "quantity": 1, "period_start": "2025-01-01", "period_end": "2025-01-02"}
    assert client.post(f"{API}/consumptions", headers=bearer(token), json=record).status_code == 201
    as_owner(owner_engine, alice.tenant_id, "UPDATE users SET role = 'viewer' WHERE id = :i", i=member.user_id)
    assert_problem(client.post(f"{API}/consumptions", headers=bearer(token), json=record), 403)


def test_a_password_change_keeps_api_tokens(alice, client):
    token = make_token(alice, ["read"])["token"]
    changed = alice.post(
        f"{API}/user/password", json={"current_password": alice.password, "new_password": "an0ther-passw0rd!"}
    )
    assert changed.status_code == 204, changed.text
    assert client.get(f"{API}/user", headers=bearer(token)).status_code == 200


def test_only_owners_and_admins_make_tokens_that_never_expire(alice, owner_engine, app):
    assert make_token(alice, ["read"], expires_at=None)["expires_at"] is None
    member = add_member(owner_engine, app, alice, "erin", "member")
    refused = member.post(TOKENS, json={"name": "forever", "scopes": ["read"], "expires_at": None})
    assert_problem(refused, 422, "expires_at")


@pytest.mark.parametrize(
    "expires_at",
    [
        (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        (datetime.now(UTC) + timedelta(days=400)).isoformat(),
    ],
)
def test_expiry_is_in_the_future_and_at_most_a_year_away(alice, expires_at):
    refused = alice.post(TOKENS, json={"name": "x", "scopes": ["read"], "expires_at": expires_at})
    assert_problem(refused, 422, "expires_at")


def test_a_user_sees_and_revokes_only_their_own_tokens(alice, bob, owner_engine, app):
    mine = make_token(alice, ["read"])
    admin = add_member(owner_engine, app, alice, "frank", "admin")
    assert admin.get(TOKENS).json()["items"] == []
    assert_problem(admin.get(f"{TOKENS}/{mine['id']}"), 404)
    assert_problem(admin.delete(f"{TOKENS}/{mine['id']}"), 404)
    assert_problem(bob.delete(f"{TOKENS}/{mine['id']}"), 404)
    assert alice.get(f"{TOKENS}/{mine['id']}").status_code == 200


def test_tokens_are_listed_in_cursor_pages(alice):
    ids = [make_token(alice, ["read"], name=f"t{i}")["id"] for i in range(3)]
    first = alice.get(TOKENS, params={"limit": 2}).json()
    second = alice.get(TOKENS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    assert sorted(t["id"] for t in first["items"] + second["items"]) == sorted(ids)


def test_each_token_has_its_own_rate_limit_with_ratelimit_headers(alice, client, monkeypatch):
    from consumo.config import get_settings

    monkeypatch.setattr(get_settings(), "api_token_rate_limit", "3/minute")
    first, second = make_token(alice, ["read"])["token"], make_token(alice, ["read"])["token"]
    answers = [client.get(f"{API}/user", headers=bearer(first)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3" and answers[0].headers["RateLimit-Remaining"] == "2"
    assert_problem(answers[3], 429)
    assert int(answers[3].headers["Retry-After"]) > 0
    assert client.get(f"{API}/user", headers=bearer(second)).status_code == 200
    # a browser session is not counted against any token
    assert all(alice.get(f"{API}/user").status_code == 200 for _ in range(4))


def test_a_read_token_s_write_is_refused_in_one_place_only():
    """The scheme's check (before the body is parsed) is the one refusal; a second copy at the
    edge was one more place for the rule to drift."""
    from pathlib import Path

    import consumo

    package = Path(consumo.__file__).parent
    places = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "api_models.py" and 'code="auth.api_token_read_only"' in path.read_text()
    ]
    assert places == ["security/tokens.py"]
