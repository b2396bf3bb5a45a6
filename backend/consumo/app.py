"""The application: Connexion routes and validates every request from the contract."""

from __future__ import annotations

import logging

import connexion
import flask
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from consumo.config import SPEC_PATH, get_settings
from consumo.logging import configure_logging
from consumo.middleware import BodyLimitMiddleware, RequestContextMiddleware
from consumo.problems import ServiceUnavailable, TooManyRequests
from consumo.ratelimit import init_rate_limits
from consumo.validation import VALIDATOR_MAP

logger = logging.getLogger(__name__)


def _database_unavailable(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.warning("database unavailable: %s", type(exc).__name__)
    return ServiceUnavailable("The database is temporarily unavailable; retry shortly.").to_problem()


def _database_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return _database_unavailable(request, exc)
    logger.error("database error", exc_info=exc)
    from connexion.exceptions import InternalServerError
    return InternalServerError().to_problem()


def _rate_limited(exc: RateLimitExceeded) -> flask.Response:
    problem = TooManyRequests(f"Too many attempts ({exc.description}); try again later.")
    response = problem.to_problem()
    flask_response = flask.Response(response.body, status=429, mimetype="application/problem+json")
    retry_after = flask.g.get("view_rate_limit")
    if "Retry-After" not in flask_response.headers:
        reset = retry_after[1][0] if retry_after else None
        import time
        flask_response.headers["Retry-After"] = str(max(1, int(reset - time.time())) if reset else 60)
    return flask_response


def _finish_request(response: flask.Response) -> flask.Response:
    """One commit per request, and only for a successful one."""
    session = flask.g.get("db_session")
    if session is not None and response.status_code < 400:
        session.commit()
    return response


def _close_session(_exc: BaseException | None) -> None:
    session = flask.g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back whatever was not committed


def create_app() -> connexion.FlaskApp:
    settings = get_settings()
    configure_logging(json_lines=settings.log_json, level=settings.log_level)
    app = connexion.FlaskApp(__name__, specification_dir=str(SPEC_PATH.parent))
    app.add_api(
        SPEC_PATH.name,
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=VALIDATOR_MAP,
        pythonic_params=True,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/docs"),
    )
    app.add_middleware(RequestContextMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(BodyLimitMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER,
                       max_bytes=settings.max_body_bytes)
    app.add_error_handler(OperationalError, _database_unavailable)
    app.add_error_handler(PoolTimeoutError, _database_unavailable)
    app.add_error_handler(DBAPIError, _database_error)

    flask_app = app.app
    flask_app.after_request(_finish_request)
    flask_app.teardown_appcontext(_close_session)
    flask_app.register_error_handler(RateLimitExceeded, _rate_limited)
    init_rate_limits(flask_app)
    return app
