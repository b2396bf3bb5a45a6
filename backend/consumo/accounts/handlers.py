"""HTTP handlers for /auth and /user: arguments in, service call, response out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

from consumo import api_models as api
from consumo.accounts import service
from consumo.accounts.models import Tenant, User
from consumo.config import get_settings
from consumo.http import db_session, respond
from consumo.problems import Unauthorized
from consumo.ratelimit import limiter, login_username_key, rate_limit
from consumo.security.caller import current_caller
from consumo.security.tokens import decode_access_token

REFRESH_COOKIE = "consumo_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"


def user_model(user: User, tenant: Tenant) -> api.User:
    return api.User(
        id=user.id,
        username=user.username,
        email=user.email,
        role=user.role,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        tenant=api.Tenant(
            id=tenant.id,
            name=tenant.name,
            default_currency=tenant.default_currency,
            time_zone=tenant.time_zone,
            locale=tenant.locale,
        ),
    )


def token_response(issued: service.IssuedTokens) -> flask.Response:
    body = api.TokenResponse(
        access_token=issued.access_token,
        token_type="Bearer",
        expires_in=issued.expires_in,
        user=user_model(issued.user, issued.tenant),
    )
    response = respond(body)
    settings = get_settings()
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=settings.refresh_token_ttl_s,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=settings.refresh_cookie_secure,
        samesite="Strict",
    )
    return response


def _clear_refresh_cookie(response: flask.Response) -> flask.Response:
    settings = get_settings()
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=settings.refresh_cookie_secure,
        samesite="Strict",
    )
    return response


@rate_limit(lambda: get_settings().register_rate_limit)
def register(body: dict[str, Any]) -> flask.Response:
    user, tenant = service.register(
        db_session(),
        username=body["username"],
        email=body["email"],
        password=body["password"],
        organization_name=body.get("organization_name"),
    )
    return respond(user_model(user, tenant), 201, {"Location": "/api/v1/user"})


def _login_account_key() -> str:
    """Failed logins count against the account, whichever of its names (username or email,
    in any case) they were made with; a login naming no account counts against that string."""
    body = flask.request.get_json(silent=True)
    login = body.get("username") if isinstance(body, dict) else None
    if not isinstance(login, str) or not login.strip():
        return login_username_key()
    account = service.account_of_login(db_session(), login)
    return f"login:{account}" if account else login_username_key()


def _caller_key(purpose: str) -> Callable[[], str]:
    def key() -> str:
        return f"{purpose}:{current_caller().user_id}"

    return key


def _wrong_current_password(response: flask.Response) -> bool:
    if response.status_code != 422:
        return False
    errors = (response.get_json(silent=True) or {}).get("errors") or []
    return any(error.get("field") == "current_password" for error in errors)


@rate_limit(lambda: get_settings().login_rate_limit)
@limiter.limit(
    lambda: get_settings().login_rate_limit,
    key_func=_login_account_key,
    deduct_when=lambda response: response.status_code == 401,
    exempt_when=lambda: not get_settings().rate_limit_enabled,
)
def login(body: dict[str, Any]) -> flask.Response:
    session = db_session()
    try:
        issued = service.login(session, login=body["username"], password=body["password"])
    except service.SignInFailed:
        session.commit()  # keep the failed sign-in's audit event although the request fails
        raise
    return token_response(issued)


def refresh_session() -> flask.Response:
    token = flask.request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthorized("No refresh cookie: log in again.", code="auth.no_refresh_cookie")
    session = db_session()
    try:
        issued = service.refresh(session, refresh_token=token)
    except service.RefreshTokenReused:
        session.commit()  # keep the revocation although the request fails
        raise Unauthorized(
            "This refresh token was already used; the session is revoked.", code="auth.refresh_reused"
        ) from None
    return token_response(issued)


def logout() -> flask.Response:
    session = db_session()
    service.logout(session, refresh_token=flask.request.cookies.get(REFRESH_COOKIE))
    # A client that holds only its access token (no cookie: an API client, another tab)
    # ends that token's session too; an invalid token ends nothing, and logout still answers 204.
    scheme, _, token = (flask.request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            claims = decode_access_token(token.strip())
        except Unauthorized:
            claims = None
        if claims is not None:
            service.end_session(session, tenant_id=claims.tenant_id, session_id=claims.session_id)
    return _clear_refresh_cookie(respond(None, 204))


def get_current_user() -> flask.Response:
    user, tenant = service.current_user(db_session(), current_caller())
    return respond(user_model(user, tenant))


# Every profile change counts (each may cost a password-hash check), and a taken username or
# email counts against the stricter registration budget: it answers what registering would.
@limiter.limit(
    lambda: get_settings().login_rate_limit,
    key_func=_caller_key("profile"),
    exempt_when=lambda: not get_settings().rate_limit_enabled,
)
@limiter.limit(
    lambda: get_settings().register_rate_limit,
    key_func=_caller_key("profile-taken"),
    deduct_when=lambda response: response.status_code == 409,
    exempt_when=lambda: not get_settings().rate_limit_enabled,
)
def update_current_user(body: dict[str, Any]) -> flask.Response:
    user, tenant = service.update_profile(
        db_session(), current_caller(), username=body["username"], email=body["email"]
    )
    return respond(user_model(user, tenant))


def delete_current_user() -> flask.Response:
    service.delete_account(db_session(), current_caller())
    return _clear_refresh_cookie(respond(None, 204))


# A wrong current password is a guess at it (and an argon2 verification): limited per
# account like failed logins; once spent, the 429 comes before any verification.
@limiter.limit(
    lambda: get_settings().login_rate_limit,
    key_func=_caller_key("password"),
    deduct_when=_wrong_current_password,
    exempt_when=lambda: not get_settings().rate_limit_enabled,
)
def change_password(body: dict[str, Any]) -> flask.Response:
    service.change_password(
        db_session(), current_caller(), current_password=body["current_password"], new_password=body["new_password"]
    )
    return _clear_refresh_cookie(respond(None, 204))
