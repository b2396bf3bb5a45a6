"""Accounts through the API: registration, login, refresh-token rotation, logout, and the
authenticated user's own profile, password and deletion.

Every error is checked as an RFC 9457 problem (`application/problem+json`, with `type`,
`title` and a `status` equal to the HTTP status).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from conftest import API, Account, add_member, create_record, register_and_login
from conftest import assert_problem as assert_any_problem
from sqlalchemy import Engine, text

from consumo.config import get_settings
from consumo.security import passwords

PASSWORD = "s3cret-passw0rd"
REFRESH_COOKIE = "consumo_refresh"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
}
USER_FIELDS = {"id", "username", "email", "role", "tenant", "created_at", "last_login_at"}


# --- helpers ----------------------------------------------------------------------------


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem for `status` with its standard title; returns its body."""
    body = assert_any_problem(response, status)
    assert body["title"] == TITLES[status]
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def register(
    client: Any, username: str = "carol", email: str | None = None, password: str = PASSWORD, **extra: Any
) -> Any:
    payload = {
        "username": username,
        "email": email if email is not None else f"{username}@example.com",
        "password": password,
        **extra,
    }
    return client.post(f"{API}/auth/register", json=payload)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def refresh_cookie_of(client: Any) -> str | None:
    """The refresh token the client's cookie jar holds (what a browser would send)."""
    for cookie in client.cookies.jar:
        if cookie.name == REFRESH_COOKIE:
            return str(cookie.value)
    return None


def refresh_with(app: Any, token: str) -> Any:
    """POST /auth/refresh presenting exactly `token`, from a client with an empty jar."""
    return app.test_client().post(f"{API}/auth/refresh", headers={"Cookie": f"{REFRESH_COOKIE}={token}"})


def get_user_with(client: Any, access_token: str) -> Any:
    return client.get(f"{API}/user", headers={"Authorization": f"Bearer {access_token}"})


def set_cookie_attributes(response: Any) -> dict[str, str]:
    """The refresh cookie's Set-Cookie attributes, names lower-cased (value under "value")."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{REFRESH_COOKIE}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    first, *attributes = [part.strip() for part in headers[0].split(";")]
    parsed = {"value": first.partition("=")[2]}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return parsed


def count(owner_engine: Engine, sql: str, **params: Any) -> int:
    with owner_engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


# --- register ---------------------------------------------------------------------------


def test_register_answers_201_with_the_new_owner_and_never_the_password(client):
    response = register(client, "carol", "carol@example.com", PASSWORD)

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/api/v1/user"
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["username"] == "carol"
    assert body["email"] == "carol@example.com"
    assert body["role"] == "owner"
    assert body["last_login_at"] is None
    assert body["tenant"]["name"] == "carol"  # defaults to the username
    uuid.UUID(body["id"])
    uuid.UUID(body["tenant"]["id"])
    assert PASSWORD not in response.text
    assert "password" not in response.text
    assert "$argon2" not in response.text


def test_register_names_the_tenant_after_organization_name_when_given(client):
    response = register(client, "carol", organization_name="Casa Carol")
    assert response.status_code == 201, response.text
    assert response.json()["tenant"]["name"] == "Casa Carol"


def test_register_stores_username_and_email_lower_case(client, owner_engine):
    response = register(client, "CaRoL.Xu", "CaRoL.Xu@Example.COM")

    assert response.status_code == 201, response.text
    assert response.json()["username"] == "carol.xu"
    assert response.json()["email"] == "carol.xu@example.com"
    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT username, email, password_hash FROM users")).one()
    assert (row.username, row.email) == ("carol.xu", "carol.xu@example.com")
    assert row.password_hash.startswith("$argon2id$")  # stored hashed, never as sent


@pytest.mark.parametrize("username", ["abc", "a" * 32, "a_b.c-d", "User_2025"])
def test_register_accepts_usernames_of_3_to_32_allowed_characters(client, username):
    assert register(client, username).status_code == 201


@pytest.mark.parametrize("username", ["ab", "a" * 33, "has space", "semi;colon", "ñandú", "at@sign", ""])
def test_register_rejects_a_username_outside_the_rules_naming_the_field(client, username):
    body = assert_problem(register(client, username, email="valid@example.com"), 400)
    assert "username" in error_fields(body)


@pytest.mark.parametrize(
    "email", ["not-an-email", "carol@", "@example.com", "carol example@example.com", "carol@@example.com"]
)
def test_register_rejects_an_invalid_email_naming_the_field(client, email):
    body = assert_problem(register(client, "carol", email=email), 400)
    assert error_fields(body) == ["email"]


@pytest.mark.parametrize("password", ["x" * 7, "x" * 129, ""])
def test_register_rejects_a_password_shorter_than_8_or_longer_than_128(client, password):
    body = assert_problem(register(client, "carol", password=password), 400)
    assert error_fields(body) == ["password"]


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128])
def test_register_accepts_passwords_of_8_and_128_characters(client, password):
    assert register(client, "carol", password=password).status_code == 201


def test_register_refuses_a_password_equal_to_the_username_ignoring_case(client):
    body = assert_problem(register(client, "carolina", password="CaroLina"), 422)
    assert error_fields(body) == ["password"]


def test_register_refuses_a_password_equal_to_the_email(client):
    body = assert_problem(register(client, "carol", email="Carol@Ex.io", password="carol@ex.io"), 422)
    assert error_fields(body) == ["password"]


def test_register_refuses_a_taken_username_ignoring_case_across_tenants(client, owner_engine):
    """Every registration opens its own tenant, so the clash is with a user of another
    tenant (whom row-level security hides): usernames are unique across all tenants."""
    assert register(client, "carol", "first@example.com").status_code == 201

    body = assert_problem(register(client, "CAROL", "second@example.com"), 409)

    assert error_fields(body) == ["username"]
    assert count(owner_engine, "SELECT count(*) FROM users") == 1
    assert count(owner_engine, "SELECT count(*) FROM tenants") == 1  # no orphan tenant left


def test_register_refuses_a_taken_email_ignoring_case_across_tenants(client, owner_engine):
    assert register(client, "carol", "carol@example.com").status_code == 201

    body = assert_problem(register(client, "someone", "Carol@EXAMPLE.com"), 409)

    assert error_fields(body) == ["email"]
    assert count(owner_engine, "SELECT count(*) FROM tenants") == 1


def test_identical_registrations_racing_give_one_201_and_409s_never_a_500(app, owner_engine):
    racers = 5
    barrier = threading.Barrier(racers)
    statuses: list[int] = []
    lock = threading.Lock()

    def race() -> None:
        client = app.test_client()
        barrier.wait()
        response = register(client, "racer", "racer@example.com")
        with lock:
            statuses.append(response.status_code)
        if response.status_code == 409:
            assert_problem(response, 409)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201] + [409] * (racers - 1)
    assert count(owner_engine, "SELECT count(*) FROM users WHERE username = 'racer'") == 1
    assert count(owner_engine, "SELECT count(*) FROM tenants") == 1


def test_register_rejects_an_unknown_field(client):
    body = assert_problem(register(client, "carol", nickname="caz"), 400)
    assert error_fields(body) == ["nickname"]


def test_register_cannot_choose_its_own_role(client):
    """Mass assignment: a client cannot make itself admin of anything by adding fields."""
    body = assert_problem(register(client, "carol", role="admin"), 400)
    assert error_fields(body) == ["role"]


def test_register_without_a_password_names_the_missing_field(client):
    response = client.post(f"{API}/auth/register", json={"username": "carol", "email": "carol@example.com"})
    assert "password" in error_fields(assert_problem(response, 400))


# --- login ------------------------------------------------------------------------------


def test_login_by_username_returns_a_bearer_token_for_15_minutes_and_the_user(app, client):
    assert register(client, "carol").status_code == 201

    response = login(client, "carol")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["username"] == "carol"
    assert body["user"]["last_login_at"] is not None
    assert get_user_with(client, body["access_token"]).status_code == 200
    assert PASSWORD not in response.text


@pytest.mark.parametrize("login_as", ["carol@example.com", "CAROL@Example.com", "Carol", "  carol  "])
def test_login_accepts_the_username_or_the_email_in_any_case(client, login_as):
    assert register(client, "carol").status_code == 201
    response = login(client, login_as)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "carol"


def test_login_sets_the_refresh_token_as_an_httponly_strict_cookie_scoped_to_auth(client):
    assert register(client, "carol").status_code == 201

    response = login(client, "carol")

    cookie = set_cookie_attributes(response)
    assert "httponly" in cookie
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    assert int(cookie["max-age"]) == get_settings().refresh_token_ttl_s
    assert cookie["value"] and cookie["value"] not in response.text  # never in the body
    assert "secure" not in cookie  # REFRESH_COOKIE_SECURE=false in tests (plain http)


def test_login_marks_the_refresh_cookie_secure_when_configured(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "refresh_cookie_secure", True)
    assert register(client, "carol").status_code == 201
    assert "secure" in set_cookie_attributes(login(client, "carol"))


def test_wrong_password_and_unknown_user_get_the_same_401(app, alice):
    client = app.test_client()
    wrong_password = login(client, "alice", "not-her-password")
    unknown_user = login(client, "nobody-here", "not-her-password")

    first, second = assert_problem(wrong_password, 401), assert_problem(unknown_user, 401)
    assert {k: first[k] for k in ("type", "title", "status", "detail")} == {
        k: second[k] for k in ("type", "title", "status", "detail")
    }
    assert wrong_password.headers["WWW-Authenticate"] == unknown_user.headers["WWW-Authenticate"]
    assert "set-cookie" not in wrong_password.headers
    assert "set-cookie" not in unknown_user.headers


@pytest.fixture
def argon2_verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification a request spends, as the hash it was checked against."""
    real = passwords._hasher()
    checked: list[str] = []

    class CountingHasher:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hash_: str, password: str) -> bool:
            checked.append(hash_)
            return real.verify(hash_, password)

    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", lambda: counting)
    return checked


def test_unknown_user_and_wrong_password_each_spend_exactly_one_verification_of_the_same_cost(
    app, owner_engine, argon2_verifications
):
    """Login answers an unknown user and a wrong password alike in time: both paths run one argon2
    verification with the same parameters (a decoy hash made by the same hasher for the unknown
    user). Proved by counting, not by a stopwatch; the timing itself is for `make bench`."""
    assert register(app.test_client(), "carol").status_code == 201
    with owner_engine.connect() as conn:
        carols_hash = conn.execute(text("SELECT password_hash FROM users WHERE username = 'carol'")).scalar_one()
    client = app.test_client()

    argon2_verifications.clear()
    assert login(client, "carol", "wrong-password-1").status_code == 401
    assert argon2_verifications == [carols_hash]

    argon2_verifications.clear()
    assert login(client, "nobody-here", "wrong-password-1").status_code == 401
    assert argon2_verifications == [passwords._decoy_hash()]

    # Same algorithm, version and cost parameters: the two verifications cost the same.
    def parameters(encoded: str) -> str:
        return "$".join(encoded.split("$")[:4])

    assert parameters(carols_hash) == parameters(passwords._decoy_hash())


def test_a_deactivated_user_cannot_log_in_and_gets_the_same_401(app, alice, owner_engine):
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": alice.user_id})

    body = assert_problem(login(app.test_client(), "alice"), 401)

    assert body["detail"] == assert_problem(login(app.test_client(), "nobody-here"), 401)["detail"]
    assert_problem(alice.get(f"{API}/user"), 401)


def test_login_with_an_unknown_field_is_a_400(client):
    response = client.post(f"{API}/auth/login", json={"username": "a", "password": "b", "remember": True})
    assert error_fields(assert_problem(response, 400)) == ["remember"]


# --- refresh ----------------------------------------------------------------------------


def test_refresh_returns_a_new_access_token_and_a_new_cookie(alice):
    old_cookie = refresh_cookie_of(alice.client)
    assert old_cookie

    response = alice.client.post(f"{API}/auth/refresh")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"] != alice.access_token
    assert body["user"]["id"] == alice.user_id
    new_cookie = set_cookie_attributes(response)
    assert new_cookie["value"] != old_cookie
    assert new_cookie["path"] == "/api/v1/auth" and "httponly" in new_cookie
    assert refresh_cookie_of(alice.client) == new_cookie["value"]
    assert get_user_with(alice.client, body["access_token"]).status_code == 200


def test_a_refresh_token_is_spent_by_its_first_use(app, alice):
    spent = refresh_cookie_of(alice.client)
    assert alice.client.post(f"{API}/auth/refresh").status_code == 200

    assert_problem(refresh_with(app, spent), 401)


def test_reused_refresh_token_revokes_the_whole_session(app, alice, owner_engine):
    first_refresh = refresh_cookie_of(alice.client)
    rotated = alice.client.post(f"{API}/auth/refresh")
    assert rotated.status_code == 200
    newest_refresh, newest_access = refresh_cookie_of(alice.client), rotated.json()["access_token"]
    other_session = register_and_login_again(app, alice)

    replay = refresh_with(app, first_refresh)

    assert_problem(replay, 401)
    assert replay.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(refresh_with(app, newest_refresh), 401)
    assert_problem(get_user_with(alice.client, alice.access_token), 401)
    assert_problem(get_user_with(alice.client, newest_access), 401)
    assert count(owner_engine, "SELECT count(*) FROM auth_sessions WHERE revoked_reason = 'refresh_reuse'") == 1
    # Only that login's family is revoked; the user's other session carries on.
    assert other_session.get(f"{API}/user").status_code == 200


def register_and_login_again(app: Any, account: Account) -> Account:
    """A second, independent session (another device) of an existing account."""
    client = app.test_client()
    response = login(client, account.username, account.password)
    assert response.status_code == 200, response.text
    return Account(
        client,
        account.username,
        account.email,
        account.password,
        account.user_id,
        account.tenant_id,
        response.json()["access_token"],
    )


def test_refresh_without_a_cookie_is_a_401(client):
    response = client.post(f"{API}/auth/refresh")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "not-a-uuid.some-secret",
        f"{uuid.uuid4()}.some-secret",
        f"{uuid.uuid4()}.",
    ],
)
def test_refresh_with_a_garbage_cookie_is_a_401(app, alice, token):
    assert_problem(refresh_with(app, token), 401)


def test_a_refresh_token_moved_to_another_tenant_is_a_401(app, alice, bob):
    """The tenant prefix only scopes the lookup: grafting Bob's secret onto Alice's tenant
    finds nothing, and neither Bob's nor Alice's session moves."""
    bobs_secret = refresh_cookie_of(bob.client).partition(".")[2]
    assert_problem(refresh_with(app, f"{alice.tenant_id}.{bobs_secret}"), 401)
    assert bob.client.post(f"{API}/auth/refresh").status_code == 200


def test_an_access_token_is_not_a_refresh_token(app, alice):
    """A JWT is longer than the contract allows a refresh cookie (256), so it never even
    reaches the token lookup."""
    body = assert_problem(refresh_with(app, alice.access_token), 400)
    assert error_fields(body) == [REFRESH_COOKIE]


# --- logout -----------------------------------------------------------------------------


def test_logout_answers_204_clears_the_cookie_and_revokes_the_session(app, alice, owner_engine):
    refresh_token = refresh_cookie_of(alice.client)

    response = alice.client.post(f"{API}/auth/logout")

    assert response.status_code == 204
    assert response.content == b""
    cleared = set_cookie_attributes(response)
    assert cleared["value"] == ""
    assert cleared["max-age"] == "0"
    assert cleared["path"] == "/api/v1/auth"
    assert refresh_cookie_of(alice.client) is None
    assert_problem(alice.get(f"{API}/user"), 401)
    assert_problem(refresh_with(app, refresh_token), 401)
    assert count(owner_engine, "SELECT count(*) FROM auth_sessions WHERE revoked_reason = 'logout'") == 1


def test_logout_without_a_cookie_is_still_204(client):
    response = client.post(f"{API}/auth/logout")
    assert response.status_code == 204
    assert set_cookie_attributes(response)["max-age"] == "0"


@pytest.mark.parametrize("token", ["garbage", f"{uuid.uuid4()}.unknown-secret"])
def test_logout_with_an_unknown_cookie_is_still_204(app, token):
    response = app.test_client().post(f"{API}/auth/logout", headers={"Cookie": f"{REFRESH_COOKIE}={token}"})
    assert response.status_code == 204


def test_logout_ends_only_its_own_session(app, alice):
    other_device = register_and_login_again(app, alice)

    assert alice.client.post(f"{API}/auth/logout").status_code == 204

    assert_problem(alice.get(f"{API}/user"), 401)
    assert other_device.get(f"{API}/user").status_code == 200
    assert other_device.client.post(f"{API}/auth/refresh").status_code == 200


# --- GET /user --------------------------------------------------------------------------


def test_get_user_returns_the_caller_and_no_password_hash(alice):
    response = alice.get(f"{API}/user")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["id"] == alice.user_id
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"
    assert body["tenant"]["id"] == alice.tenant_id
    assert "password" not in response.text and "$argon2" not in response.text


def test_get_user_without_a_token_is_a_401(client):
    response = client.get(f"{API}/user")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- PUT /user --------------------------------------------------------------------------


def test_put_user_changes_username_and_email_stored_lower_case(app, alice, owner_engine):
    response = alice.put(f"{API}/user", json={"username": "Alicia", "email": "Alicia@Example.ORG"})

    assert response.status_code == 200, response.text
    assert response.json()["username"] == "alicia"
    assert response.json()["email"] == "alicia@example.org"
    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT username, email FROM users WHERE id = :id"), {"id": alice.user_id}).one()
    assert (row.username, row.email) == ("alicia", "alicia@example.org")
    assert login(app.test_client(), "alicia").status_code == 200
    assert_problem(login(app.test_client(), "alice"), 401)


def test_put_user_keeping_the_same_username_and_email_is_not_a_conflict(alice):
    response = alice.put(f"{API}/user", json={"username": "ALICE", "email": "alice@example.com"})
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "alice"


def test_put_user_to_a_username_of_another_tenant_is_a_409_naming_the_field(alice, bob):
    response = alice.put(f"{API}/user", json={"username": "BOB", "email": "alice@example.com"})
    body = assert_problem(response, 409)
    assert error_fields(body) == ["username"]
    assert alice.get(f"{API}/user").json()["username"] == "alice"  # nothing changed


def test_put_user_to_an_email_taken_by_another_user_is_a_409_naming_the_field(alice, bob):
    response = alice.put(f"{API}/user", json={"username": "alice", "email": "Bob@Example.com"})
    body = assert_problem(response, 409)
    assert error_fields(body) == ["email"]


def test_put_user_cannot_change_the_role(alice):
    response = alice.put(f"{API}/user", json={"username": "alice", "email": "alice@example.com", "role": "admin"})
    body = assert_problem(response, 400)
    assert error_fields(body) == ["role"]


def test_put_user_validates_the_username_rules(alice):
    response = alice.put(f"{API}/user", json={"username": "a b", "email": "alice@example.com"})
    body = assert_problem(response, 400)
    assert error_fields(body) == ["username"]


def test_put_user_without_a_token_is_a_401(client):
    assert_problem(client.put(f"{API}/user", json={"username": "eve", "email": "eve@example.com"}), 401)


# --- DELETE /user -----------------------------------------------------------------------


def test_a_sole_member_deleting_their_account_removes_it_the_records_and_the_tenant(app, alice, owner_engine):
    create_record(alice)
    create_record(alice, kind="water", quantity=3)

    response = alice.delete(f"{API}/user")

    assert response.status_code == 204
    assert_problem(alice.get(f"{API}/user"), 401)
    assert_problem(login(app.test_client(), "alice"), 401)
    assert count(owner_engine, "SELECT count(*) FROM users WHERE id = :id", id=alice.user_id) == 0
    assert count(owner_engine, "SELECT count(*) FROM consumption_records WHERE tenant_id = :t", t=alice.tenant_id) == 0
    assert count(owner_engine, "SELECT count(*) FROM auth_sessions WHERE tenant_id = :t", t=alice.tenant_id) == 0
    assert count(owner_engine, "SELECT count(*) FROM tenants WHERE id = :t", t=alice.tenant_id) == 0


def test_deleting_an_account_leaves_other_tenants_alone(alice, bob, owner_engine):
    create_record(bob)
    assert alice.delete(f"{API}/user").status_code == 204
    assert bob.get(f"{API}/user").status_code == 200
    assert count(owner_engine, "SELECT count(*) FROM consumption_records WHERE owner_id = :id", id=bob.user_id) == 1


def test_a_deleted_account_frees_its_username(app, alice):
    assert alice.delete(f"{API}/user").status_code == 204
    assert register(app.test_client(), "alice").status_code == 201


def test_the_last_owner_of_a_tenant_with_other_members_cannot_delete_their_account(app, alice, owner_engine):
    add_member(owner_engine, app, alice, "mia", "member")

    assert_problem(alice.delete(f"{API}/user"), 409)

    assert alice.get(f"{API}/user").status_code == 200
    assert count(owner_engine, "SELECT count(*) FROM users WHERE tenant_id = :t", t=alice.tenant_id) == 2


def test_an_owner_may_leave_when_another_owner_remains(app, alice, owner_engine):
    other_owner = add_member(owner_engine, app, alice, "olga", "owner")

    assert alice.delete(f"{API}/user").status_code == 204

    assert other_owner.get(f"{API}/user").status_code == 200
    assert count(owner_engine, "SELECT count(*) FROM tenants WHERE id = :t", t=alice.tenant_id) == 1


def test_a_member_deleting_their_account_removes_only_their_records(app, alice, owner_engine):
    mia = add_member(owner_engine, app, alice, "mia", "member")
    create_record(mia)
    create_record(alice)

    assert mia.delete(f"{API}/user").status_code == 204

    assert_problem(mia.get(f"{API}/user"), 401)
    assert_problem(login(app.test_client(), "mia"), 401)
    assert count(owner_engine, "SELECT count(*) FROM consumption_records WHERE owner_id = :id", id=mia.user_id) == 0
    assert count(owner_engine, "SELECT count(*) FROM consumption_records WHERE owner_id = :id", id=alice.user_id) == 1
    assert alice.get(f"{API}/user").status_code == 200


def test_delete_user_without_a_token_is_a_401(client):
    assert_problem(client.delete(f"{API}/user"), 401)


# --- POST /user/password ----------------------------------------------------------------


def change_password(account: Account, current: str, new: str) -> Any:
    return account.post(f"{API}/user/password", json={"current_password": current, "new_password": new})


def test_change_password_with_a_wrong_current_password_is_a_422_and_changes_nothing(app, alice):
    body = assert_problem(change_password(alice, "not-the-password", "brand-new-passw0rd"), 422)

    assert error_fields(body) == ["current_password"]
    assert alice.get(f"{API}/user").status_code == 200
    assert login(app.test_client(), "alice", PASSWORD).status_code == 200


@pytest.mark.parametrize("new_password", ["alice@example.com", "ALICE@example.com"])
def test_change_password_refuses_the_email_as_new_password(alice, new_password):
    body = assert_problem(change_password(alice, PASSWORD, new_password), 422)
    assert error_fields(body) == ["new_password"]


def test_change_password_refuses_the_username_as_new_password(app):
    account = register_and_login(app, "caroline")
    body = assert_problem(change_password(account, PASSWORD, "Caroline"), 422)
    assert error_fields(body) == ["new_password"]


def test_change_password_enforces_the_length_rules(alice):
    body = assert_problem(change_password(alice, PASSWORD, "short"), 400)
    assert error_fields(body) == ["new_password"]


def test_change_password_revokes_every_earlier_token_and_swaps_the_password(app, alice):
    old_refresh = refresh_cookie_of(alice.client)
    other_device = register_and_login_again(app, alice)

    response = change_password(alice, PASSWORD, "brand-new-passw0rd")

    assert response.status_code == 204
    assert set_cookie_attributes(response)["max-age"] == "0"
    assert_problem(alice.get(f"{API}/user"), 401)
    assert_problem(other_device.get(f"{API}/user"), 401)
    assert_problem(refresh_with(app, old_refresh), 401)
    assert_problem(other_device.client.post(f"{API}/auth/refresh"), 401)
    assert_problem(login(app.test_client(), "alice", PASSWORD), 401)
    relogin = login(app.test_client(), "alice", "brand-new-passw0rd")
    assert relogin.status_code == 200
    assert get_user_with(app.test_client(), relogin.json()["access_token"]).status_code == 200


def test_change_password_without_a_token_is_a_401(client):
    response = client.post(
        f"{API}/user/password", json={"current_password": PASSWORD, "new_password": "brand-new-passw0rd"}
    )
    assert_problem(response, 401)
