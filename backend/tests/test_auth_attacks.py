"""Attacks on authentication: OWASP API Security Top 10, API2:2023 Broken Authentication.

Forged, altered, expired and revoked access tokens, and brute force against login and
register (rate limits). Tokens are built with PyJWT and, where the attack assumes it, the
server's own secret, so each one is valid in every respect but the one under test (the
first test proves the forging helper makes tokens the API accepts).

Every rejection is a 401 `application/problem+json` carrying the
`WWW-Authenticate: Bearer realm="consumo"` challenge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from conftest import API, Account, assert_problem, register_and_login
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from consumo.config import get_settings
from consumo.security.tokens import REQUIRED_CLAIMS

PASSWORD = "s3cret-passw0rd"
CHALLENGE = 'Bearer realm="consumo"'


# --- helpers ----------------------------------------------------------------------------


def assert_rejected(response: Any) -> None:
    """A 401 problem with the Bearer challenge."""
    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_of(account: Account) -> dict[str, Any]:
    """The claims the server put in `account`'s access token (read, not verified)."""
    return dict(jwt.decode(account.access_token, options={"verify_signature": False}))


def forge(
    claims: dict[str, Any], *, key: Any = None, algorithm: str = "HS256", headers: dict[str, Any] | None = None
) -> str:
    """Signs `claims`, with the server's secret unless another key is given."""
    return jwt.encode(
        claims, key if key is not None else get_settings().effective_jwt_secret, algorithm=algorithm, headers=headers
    )


def fresh_claims(account: Account, **overrides: Any) -> dict[str, Any]:
    """`account`'s real claims with new times (so the forged token is otherwise current)."""
    now = int(time.time())
    claims = {**claims_of(account), "iat": now, "nbf": now, "exp": now + 600, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    return claims


def get_user(client: Any, token: str) -> Any:
    return client.get(f"{API}/user", headers={"Authorization": f"Bearer {token}"})


def rsa_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- the forging helper is sound ----------------------------------------------------------


def test_a_token_forged_with_the_server_secret_and_real_claims_is_accepted(client, alice):
    """Control: without it, every rejection below could be the helper's fault."""
    response = get_user(client, forge(fresh_claims(alice)))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == alice.user_id


# --- API2:2023 — forged signatures and algorithms -------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_api2_unsigned_token_with_alg_none_is_rejected(client, alice, alg):
    header = b64url_json({"alg": alg, "typ": "JWT"})
    token = f"{header}.{b64url_json(fresh_claims(alice))}."
    assert_rejected(get_user(client, token))


def test_api2_alg_none_token_keeping_the_original_signature_is_rejected(client, alice):
    _, payload, signature = alice.access_token.split(".")
    token = f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}"
    assert_rejected(get_user(client, token))


def test_api2_hs256_token_signed_with_a_wrong_secret_is_rejected(client, alice):
    token = forge(fresh_claims(alice), key="not-the-server-secret-but-long-enough-to-pass")
    assert_rejected(get_user(client, token))


def test_api2_rs256_token_signed_with_the_attackers_own_rsa_key_is_rejected(client, alice):
    """HS/RS confusion, first half: the server pins HS256, so a token asking to be checked
    as RS256 (with any key, e.g. one named in a `jwk`/`kid` header) is refused."""
    key = rsa_private_key()
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    token = forge(fresh_claims(alice), key=key, algorithm="RS256", headers={"kid": "attacker", "jwk": public_jwk})
    assert_rejected(get_user(client, token))


def test_api2_hs256_token_keyed_with_an_rsa_public_key_is_rejected(client, alice):
    """HS/RS confusion, second half: HMAC over the token keyed with a public key PEM
    (what a verifier that took its key for an RSA key would check against)."""
    public_pem = (
        rsa_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{b64url_json({'alg': 'HS256', 'typ': 'JWT'})}.{b64url_json(fresh_claims(alice))}"
    signature = b64url(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    assert_rejected(get_user(client, f"{signing_input}.{signature}"))


def test_api2_token_with_another_hmac_algorithm_and_the_right_secret_is_rejected(client, alice):
    """Algorithms are pinned: HS512 with the real secret is still not HS256."""
    assert_rejected(get_user(client, forge(fresh_claims(alice), algorithm="HS512")))


def test_api2_tampered_payload_with_the_original_signature_is_rejected(client, alice, bob):
    """Alice rewrites her token to be Bob (user and tenant) and keeps her signature."""
    header, _, signature = alice.access_token.split(".")
    claims = claims_of(alice)
    claims.update(sub=bob.user_id, tid=bob.tenant_id)
    assert_rejected(get_user(client, f"{header}.{b64url_json(claims)}.{signature}"))


def test_api2_tampered_role_like_claim_with_the_original_signature_is_rejected(client, alice):
    header, _, signature = alice.access_token.split(".")
    claims = {**claims_of(alice), "ver": claims_of(alice)["ver"] + 1, "role": "admin"}
    assert_rejected(get_user(client, f"{header}.{b64url_json(claims)}.{signature}"))


# --- API2:2023 — claims that do not hold ----------------------------------------------------


def test_api2_expired_token_is_rejected(client, alice):
    now = int(time.time())
    token = forge(fresh_claims(alice, iat=now - 1000, nbf=now - 1000, exp=now - 60))
    body_ok = get_user(client, forge(fresh_claims(alice)))
    assert body_ok.status_code == 200
    assert_rejected(get_user(client, token))


def test_api2_token_not_yet_valid_nbf_in_the_future_is_rejected(client, alice):
    assert_rejected(get_user(client, forge(fresh_claims(alice, nbf=int(time.time()) + 120))))


def test_api2_token_issued_in_the_future_is_rejected(client, alice):
    assert_rejected(get_user(client, forge(fresh_claims(alice, iat=int(time.time()) + 120))))


def test_api2_token_from_another_issuer_is_rejected(client, alice):
    assert_rejected(get_user(client, forge(fresh_claims(alice, iss="https://evil.example"))))


@pytest.mark.parametrize("aud", ["another-api", ["consumo-api", "another-api"], ["consumo-api"]])
def test_api2_token_for_another_audience_is_rejected(client, alice, aud):
    """Audience is strict: exactly our audience as a string, not a list that contains it."""
    assert_rejected(get_user(client, forge(fresh_claims(alice, aud=aud))))


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_api2_token_missing_a_required_claim_is_rejected(client, alice, claim):
    claims = fresh_claims(alice)
    del claims[claim]
    assert_rejected(get_user(client, forge(claims)))


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "not-a-uuid"},
        {"tid": "not-a-uuid"},
        {"sid": 12345},
        {"tid": ["a", "list"]},
        {"sid": {"an": "object"}},
        {"ver": "one"},
        {"ver": [1]},
        {"sub": None},
        {"sub": 42},
    ],
)
def test_api2_signed_token_with_malformed_claims_is_a_401_not_a_500(client, alice, overrides):
    assert_rejected(get_user(client, forge(fresh_claims(alice, **overrides))))


def test_api2_signed_token_with_a_stale_token_version_is_rejected(client, alice):
    claims = fresh_claims(alice)
    assert_rejected(get_user(client, forge({**claims, "ver": claims["ver"] + 1})))


def test_api2_signed_token_for_a_session_that_does_not_exist_is_rejected(client, alice):
    assert_rejected(get_user(client, forge(fresh_claims(alice, sid=str(uuid.uuid4())))))


def test_api2_signed_token_joining_one_users_session_to_another_user_is_rejected(client, alice, bob):
    """Even with the secret, a session only authenticates its own user in its own tenant."""
    bobs = claims_of(bob)
    assert_rejected(get_user(client, forge(fresh_claims(alice, sub=bobs["sub"]))))
    assert_rejected(get_user(client, forge(fresh_claims(alice, sub=bobs["sub"], tid=bobs["tid"]))))
    assert_rejected(get_user(client, forge(fresh_claims(alice, tid=bobs["tid"]))))


# --- API2:2023 — tokens whose account or session has changed ---------------------------------


def test_api2_token_of_a_deleted_user_is_rejected(client, alice):
    token = alice.access_token
    assert alice.delete(f"{API}/user").status_code == 204
    assert_rejected(get_user(client, token))
    assert_rejected(get_user(client, forge(fresh_claims(alice))))  # even freshly re-signed


def test_api2_token_issued_before_a_password_change_is_rejected(app, client, alice):
    token = alice.access_token
    response = alice.post(
        f"{API}/user/password", json={"current_password": PASSWORD, "new_password": "brand-new-passw0rd"}
    )
    assert response.status_code == 204
    assert_rejected(get_user(client, token))
    relogin = app.test_client().post(f"{API}/auth/login", json={"username": "alice", "password": "brand-new-passw0rd"})
    assert relogin.status_code == 200
    assert get_user(client, relogin.json()["access_token"]).status_code == 200


def test_api2_token_of_a_logged_out_session_is_rejected(client, alice):
    assert alice.client.post(f"{API}/auth/logout").status_code == 204
    assert_rejected(get_user(client, alice.access_token))


# --- API2:2023 — malformed credentials ------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer xyz",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJIUzI1NiJ9..",
        "Bearer " + "A" * 3000,
    ],
)
def test_api2_garbage_bearer_token_is_rejected(client, alice, authorization):
    assert_rejected(client.get(f"{API}/user", headers={"Authorization": authorization}))


@pytest.mark.parametrize("authorization", ["Bearer", "Basic YWxpY2U6czNjcmV0LXBhc3N3MHJk", "Token abc"])
def test_api2_missing_or_non_bearer_credentials_are_rejected(client, alice, authorization):
    assert_rejected(client.get(f"{API}/user", headers={"Authorization": authorization}))


def test_api2_no_authorization_header_is_rejected(client):
    assert_rejected(client.get(f"{API}/user"))
    assert_rejected(client.get(f"{API}/consumptions"))


def test_api2_a_refresh_token_is_not_a_bearer_token(client, alice):
    refresh_token = next(c.value for c in alice.client.cookies.jar if c.name == "consumo_refresh")
    assert_rejected(get_user(client, refresh_token))


def test_api2_access_token_in_the_query_string_is_not_accepted(client, alice):
    """Tokens travel only in the Authorization header (URLs end up in logs and history)."""
    assert_rejected(client.get(f"{API}/user", params={"access_token": alice.access_token}))


# --- API2:2023 — brute force: rate limits ---------------------------------------------------
#
# The test clients all come from one address ("testclient") unless created with
# `app.test_client(client=(host, port))`, which Starlette passes on as the peer address
# that flask-limiter keys the per-address limits on; the tests below use that to tell the
# per-address limit from the per-username one. The limiter's storage is reset after each test.


def limit_to(monkeypatch: pytest.MonkeyPatch, setting: str, value: str = "3/minute") -> None:
    monkeypatch.setattr(get_settings(), setting, value)


def from_address(app: Any, host: str) -> Any:
    return app.test_client(client=(host, 40000))


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def register(client: Any, username: str) -> Any:
    return client.post(
        f"{API}/auth/register", json={"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    )


def assert_rate_limited(response: Any, limit: int) -> None:
    body = assert_problem(response, 429)
    assert body["title"] == "Too Many Requests"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert "set-cookie" not in response.headers


def test_api2_register_is_rate_limited_per_address_with_429_and_retry_after(app, monkeypatch):
    limit_to(monkeypatch, "register_rate_limit")
    client = app.test_client()
    answers = [register(client, f"user{i}") for i in range(4)]

    assert [r.status_code for r in answers[:3]] == [201, 201, 201]
    assert [r.headers["RateLimit-Remaining"] for r in answers[:3]] == ["2", "1", "0"]
    assert all(r.headers["RateLimit-Limit"] == "3" for r in answers[:3])
    assert_rate_limited(answers[3], 3)
    # Another address is not affected.
    assert register(from_address(app, "203.0.113.9"), "user9").status_code == 201


def test_api2_login_per_address_limit_counts_every_attempt_even_successful_ones(app, monkeypatch):
    """From one address, every login attempt counts (this is the per-address limit), so
    even correct logins are refused once it is spent."""
    register_and_login(app, "carol")  # done before the limit is lowered
    limit_to(monkeypatch, "login_rate_limit")
    client = from_address(app, "198.51.100.1")

    assert [login(client, "carol").status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(login(client, "carol"), 3)


def test_api2_login_per_address_limit_stops_credential_stuffing_across_usernames(app, monkeypatch):
    limit_to(monkeypatch, "login_rate_limit")
    client = from_address(app, "198.51.100.2")

    assert [login(client, f"victim{i}", "guess").status_code for i in range(3)] == [401, 401, 401]
    assert_rate_limited(login(client, "victim3", "guess"), 3)


def test_api2_login_per_username_limit_stops_a_distributed_guesser(app, monkeypatch):
    """Failed logins for one username count against it from whatever address they come.
    Once it is spent the username is locked for the window: even its owner's correct
    password gets 429 (the price of stopping the guesser), while other usernames log in."""
    register_and_login(app, "carol")
    register_and_login(app, "dave")
    limit_to(monkeypatch, "login_rate_limit")

    failures = [login(from_address(app, f"192.0.2.{i}"), "carol", "guess").status_code for i in range(3)]

    assert failures == [401, 401, 401]
    assert_rate_limited(login(from_address(app, "192.0.2.50"), "carol", "guess"), 3)
    assert_rate_limited(login(from_address(app, "192.0.2.51"), "carol"), 3)
    assert login(from_address(app, "192.0.2.52"), "dave").status_code == 200


def test_api2_login_per_username_limit_ignores_case_and_spaces(app, monkeypatch):
    register_and_login(app, "carol")
    limit_to(monkeypatch, "login_rate_limit")

    for i, spelling in enumerate(["CAROL", " carol ", "Carol"]):
        assert login(from_address(app, f"192.0.2.{i}"), spelling, "guess").status_code == 401
    assert_rate_limited(login(from_address(app, "192.0.2.99"), "carol", "guess"), 3)


def test_api2_login_per_username_limit_does_not_count_successful_logins(app, monkeypatch):
    """Only 401s are deducted from the per-username limit, so a user who logs in often
    (from different addresses, each well within its own limit) is never locked out."""
    register_and_login(app, "carol")
    limit_to(monkeypatch, "login_rate_limit")

    statuses = [login(from_address(app, f"192.0.2.{i}"), "carol").status_code for i in range(6)]

    assert statuses == [200] * 6
    # ...and the failures still have their full allowance afterwards.
    assert [login(from_address(app, f"192.0.2.{10 + i}"), "carol", "guess").status_code for i in range(3)] == [
        401,
        401,
        401,
    ]
    assert_rate_limited(login(from_address(app, "192.0.2.20"), "carol", "guess"), 3)


def test_api2_failed_logins_carry_the_rate_limit_headers(app, monkeypatch):
    limit_to(monkeypatch, "login_rate_limit")
    response = login(from_address(app, "192.0.2.1"), "nobody", "guess")
    assert_rejected(response)
    assert response.headers["RateLimit-Limit"] == "3"
    assert int(response.headers["RateLimit-Remaining"]) < 3
