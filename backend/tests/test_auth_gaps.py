"""Authentication gaps closed in round two of hardening: every guess at a password is
limited per account (login by either of its names, the current password of a password
change, a profile change), logout ends the session of the token it is sent with, a
profile cannot make the username the password, and the RateLimit headers say seconds."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import API, assert_problem, register_and_login
from consumo.config import get_settings

PASSWORD = "s3cret-passw0rd"


def limit_to(monkeypatch: pytest.MonkeyPatch, setting: str, value: str = "3/minute") -> None:
    monkeypatch.setattr(get_settings(), setting, value)


def from_address(app: Any, host: str) -> Any:
    return app.test_client(client=(host, 40000))


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


# --- (a) wrong current passwords --------------------------------------------------------------------


def test_wrong_current_passwords_are_limited_per_account(app, monkeypatch):
    carol, dave = register_and_login(app, "carol"), register_and_login(app, "dave")
    limit_to(monkeypatch, "login_rate_limit")

    def change(account: Any, current: str) -> Any:
        return account.post(
            f"{API}/user/password", json={"current_password": current, "new_password": "an0ther-passw0rd"}
        )

    assert [change(carol, f"guess{i}").status_code for i in range(3)] == [422, 422, 422]
    refused = change(carol, PASSWORD)  # even the right one, until the window passes
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"].isdigit()
    assert change(dave, PASSWORD).status_code == 204  # another account is not affected


def test_a_right_current_password_is_not_counted_as_a_guess(app, monkeypatch):
    carol = register_and_login(app, "carol")
    limit_to(monkeypatch, "login_rate_limit", "1/minute")

    response = carol.post(
        f"{API}/user/password", json={"current_password": PASSWORD, "new_password": "an0ther-passw0rd"}
    )

    assert response.status_code == 204
    assert "RateLimit-Remaining" in response.headers


# --- (b) one budget per account, whichever name it is logged in with -------------------------------------


def test_failed_logins_by_username_and_by_email_share_one_budget(app, monkeypatch):
    register_and_login(app, "carol")
    limit_to(monkeypatch, "login_rate_limit")

    spellings = ["carol", "carol@example.com", "CAROL@EXAMPLE.COM"]
    failures = [login(from_address(app, f"192.0.2.{i}"), name, "guess").status_code for i, name in enumerate(spellings)]

    assert failures == [401, 401, 401]
    assert_problem(login(from_address(app, "192.0.2.50"), "carol@example.com", "guess"), 429)
    assert_problem(login(from_address(app, "192.0.2.51"), "carol", "guess"), 429)


def test_unknown_logins_still_answer_401_and_are_limited_per_string(app, monkeypatch):
    limit_to(monkeypatch, "login_rate_limit")

    failures = [login(from_address(app, f"192.0.2.{i}"), "nobody", "guess").status_code for i in range(3)]

    assert failures == [401, 401, 401]
    assert_problem(login(from_address(app, "192.0.2.60"), "nobody", "guess"), 429)


# --- (e) logout with only the access token ----------------------------------------------------------


def test_logout_with_only_a_bearer_token_ends_that_tokens_session(app):
    carol = register_and_login(app, "carol")
    other_device = login(app.test_client(), "carol").json()["access_token"]
    bare = app.test_client()  # no refresh cookie

    response = bare.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {carol.access_token}"})

    assert response.status_code == 204
    assert_problem(bare.get(f"{API}/user", headers={"Authorization": f"Bearer {carol.access_token}"}), 401)
    assert bare.get(f"{API}/user", headers={"Authorization": f"Bearer {other_device}"}).status_code == 200


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic Zm9vOmJhcg==", "Bearer "])
def test_logout_with_a_bad_authorization_header_still_answers_204(client, authorization):
    assert client.post(f"{API}/auth/logout", headers={"Authorization": authorization}).status_code == 204


# --- (f) profile changes ---------------------------------------------------------------------------


def test_a_profile_cannot_make_the_username_the_password(app):
    carol = register_and_login(app, "carol", password="erin-the-third")

    response = carol.put(f"{API}/user", json={"username": "erin-the-third", "email": "carol@example.com"})

    assert_problem(response, 422, "username")
    assert carol.get(f"{API}/user").json()["username"] == "carol"


def test_taken_names_in_profile_changes_are_limited_like_registrations(app, monkeypatch):
    carol = register_and_login(app, "carol")
    for i in range(4):
        register_and_login(app, f"taken{i}")
    limit_to(monkeypatch, "register_rate_limit")

    conflicts = [
        carol.put(f"{API}/user", json={"username": "carol", "email": f"taken{i}@example.com"}).status_code
        for i in range(3)
    ]

    assert conflicts == [409, 409, 409]
    assert_problem(carol.put(f"{API}/user", json={"username": "carol", "email": "taken3@example.com"}), 429)


def test_profile_changes_are_limited_per_account(app, monkeypatch):
    carol = register_and_login(app, "carol")
    limit_to(monkeypatch, "login_rate_limit")

    statuses = [
        carol.put(f"{API}/user", json={"username": f"carol{i}", "email": "carol@example.com"}).status_code
        for i in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


# --- (g) RateLimit-Reset in seconds -------------------------------------------------------------------


def test_rate_limit_reset_is_seconds_from_now_not_a_timestamp(app, monkeypatch):
    limit_to(monkeypatch, "login_rate_limit", "3/minute")
    client = from_address(app, "198.51.100.7")

    answers = [login(client, "nobody", "guess") for _ in range(4)]

    for response in answers:
        reset = response.headers["RateLimit-Reset"]
        assert reset.isdigit() and 0 <= int(reset) <= 60, reset
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) <= 60
