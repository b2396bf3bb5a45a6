"""Rate limits for the authentication endpoints (flask-limiter).

Storage is Redis when `REDIS_URL` is set (limits shared by every API process), memory
otherwise. If Redis is configured but down, the limiter falls back to per-process memory
limits instead of failing requests: logins keep working and stay limited, only less
precisely (each process counts on its own) until Redis is back.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import flask
from flask_limiter import ApplicationLimit, HeaderNames, Limiter
from flask_limiter.util import get_remote_address

from consumo.config import get_settings

F = TypeVar("F", bound=Callable[..., Any])

API_TOKEN_PREFIX = "cns_"


def _api_token_in_request() -> str | None:
    scheme, _, token = (flask.request.headers.get("Authorization") or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token.startswith(API_TOKEN_PREFIX) else None


def api_token_key() -> str:
    """Every call made with one personal API token shares one budget, whatever its address."""
    token = _api_token_in_request() or ""
    return "api-token:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _not_an_api_token_call() -> bool:
    return not get_settings().rate_limit_enabled or _api_token_in_request() is None


limiter = Limiter(
    key_func=get_remote_address,
    application_limits=[
        ApplicationLimit(
            lambda: get_settings().api_token_rate_limit,
            key_function=api_token_key,
            exempt_when=_not_an_api_token_call,
            scope="api-token",
        )
    ],
    headers_enabled=True,
    swallow_errors=True,
    in_memory_fallback_enabled=True,
    strategy="moving-window",
    header_name_mapping={
        # RFC draft names (RateLimit-*), plus Retry-After. The keys must be the enum:
        # flask-limiter silently ignores plain strings and keeps X-RateLimit-*.
        HeaderNames.LIMIT: "RateLimit-Limit",
        HeaderNames.REMAINING: "RateLimit-Remaining",
        HeaderNames.RESET: "RateLimit-Reset",
        HeaderNames.RETRY_AFTER: "Retry-After",
    },
)


def _reset_in_seconds(response: flask.Response) -> flask.Response:
    """flask-limiter sends the window's end as an epoch time; the RateLimit header fields
    (draft-ietf-httpapi-ratelimit-headers) define RateLimit-Reset as seconds from now."""
    reset = response.headers.get("RateLimit-Reset")
    if reset is not None:
        try:
            epoch = float(reset)
        except ValueError:
            del response.headers["RateLimit-Reset"]
        else:
            response.headers["RateLimit-Reset"] = str(max(0, int(epoch - time.time())))
    return response


def per_worker_warning(workers: int) -> str | None:
    """What `serve --production` says loudly at start when the limits are not shared."""
    if workers <= 1 or get_settings().redis_url or not get_settings().rate_limit_enabled:
        return None
    return (
        f"REDIS_URL is not set: each of the {workers} workers keeps its own rate-limit counts, so a "
        f"client may make up to {workers} times the configured login and registration attempts. "
        "Set REDIS_URL to share the limits between workers (and API instances)."
    )


def init_rate_limits(app: flask.Flask) -> None:
    settings = get_settings()
    # Registered before the limiter's own hook, so it runs after it (Flask runs them in reverse).
    app.after_request(_reset_in_seconds)
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = settings.rate_limit_enabled
    if settings.redis_url:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    limiter.init_app(app)


def login_username_key() -> str:
    body = flask.request.get_json(silent=True)
    login = body.get("username") if isinstance(body, dict) else None
    return f"login:{str(login).strip().lower()}" if login else get_remote_address()


def rate_limit(limit: Callable[[], str]) -> Callable[[F], F]:
    """A per-client-address limit."""
    decorator = cast(Callable[[F], F], limiter.limit(limit, exempt_when=lambda: not get_settings().rate_limit_enabled))
    return decorator
