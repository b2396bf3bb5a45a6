"""The application: Connexion routes and validates every request from the contract."""

from __future__ import annotations

import logging
import uuid

import connexion
import connexion.context as connexion_context
import flask
import psycopg
import pydantic
from connexion.exceptions import ProblemException
from connexion.exceptions import Unauthorized as ConnexionUnauthorized
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, NoResultFound, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from consumo import models_registry  # noqa: F401 (every model and the audit hook)
from consumo.config import SPEC_PATH, get_settings, load_contract
from consumo.framework_problems import problem_of_framework, problem_response
from consumo.logging import configure_logging
from consumo.middleware import BodyLimitMiddleware, ConcretePathMiddleware, RequestContextMiddleware
from consumo.problems import (
    Conflict,
    NotFound,
    Problem,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationProblem,
)
from consumo.ratelimit import init_rate_limits
from consumo.request_body import JsonBodyMiddleware
from consumo.security.caller import check_api_token_scope
from consumo.validation import VALIDATOR_MAP
from consumo.webhooks import events as _webhook_events  # noqa: F401  (publishes events on every flush)

logger = logging.getLogger(__name__)


def _database_unavailable(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    if isinstance(getattr(exc, "orig", None), psycopg.errors.QueryCanceled):
        # The statement timeout stopped a query: the database is up, but this request
        # asked too much of it. Logged as the performance bug it is; no detail leaks.
        logger.error("database statement timed out", exc_info=exc)
        return problem_response(
            ServiceUnavailable("The request took too long to answer; retry shortly.", code="unavailable.timeout")
        )
    logger.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        ServiceUnavailable("The database is temporarily unavailable; retry shortly.", code="unavailable.database")
    )


def _database_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return _database_unavailable(request, exc)
    logger.error("database error", exc_info=exc)
    return problem_response(Problem("The server met an unexpected error; it has been logged.", code="internal"))


def _database_rejected_value(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # Input validation should have caught it first; log it as the bug it is, but the
    # client still sent a value the database cannot take: that is a 400, not a 500.
    logger.error("database rejected a value", exc_info=exc)
    return problem_response(ValidationProblem("A value is out of range or not valid.", code="value.out_of_range"))


def _constraint_violated(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # Services check what they can before writing (references, uniqueness, concurrent
    # writers); a constraint that still fires is a bug to fix, logged as one, but what the
    # client meets is a conflict with the stored state, not a server error.
    logger.error("database constraint violated", exc_info=exc)
    return problem_response(
        Conflict("The request conflicts with the current state; read it again and retry.", code="conflict.state")
    )


def _vanished(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # A row that a request relied on was deleted by a concurrent one (its owner's account,
    # say) between two of its statements: for this request it no longer exists.
    logger.warning("a row vanished during the request: %s", exc)
    return problem_response(NotFound("No such resource (it was just deleted).", code="not_found"))


def _model_rejected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # The contract's validation passed but its generated model refused the body: the two
    # disagree, a bug to fix, logged as one; the client still sent what we cannot take.
    logger.error("a generated model refused a validated body: %s", exc)
    errors = [
        {"field": ".".join(map(str, error["loc"])) or "body", "message": error["msg"][:500], "code": "field.invalid"}
        for error in (exc.errors() if isinstance(exc, pydantic.ValidationError) else [])
    ]
    return problem_response(
        ValidationProblem("The request does not match the API contract.", code="request.invalid", errors=errors)
    )


def _missing_credentials(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # Connexion's own 401 (no Authorization header, or not a Bearer one) as our problem,
    # with the WWW-Authenticate challenge a 401 must carry (RFC 9110, 15.5.2).
    detail = getattr(exc, "detail", None) or "Missing, invalid or expired credentials."
    return problem_response(Unauthorized(detail, code="auth.required"))


def _problem_inside_flask(problem: Problem) -> flask.Response:
    """Renders a handler's problem within Flask instead of letting it escape to Connexion,
    so after_request hooks see the response: the login limiter counts failed logins by
    their 401 (`deduct_when`) and adds its RateLimit-* headers."""
    rendered = problem_response(problem)
    return flask.Response(rendered.body, status=rendered.status_code, headers=rendered.headers)


def _rate_limited(exc: RateLimitExceeded) -> flask.Response:
    problem = TooManyRequests(f"Too many attempts ({exc.description}); try again later.", code="rate_limited")
    response = problem_response(problem)
    flask_response = flask.Response(response.body, status=429, mimetype="application/problem+json")
    # flask-limiter replaces this with the exact wait when it adds its headers; the window
    # length is the safe upper bound if it does not.
    flask_response.headers["Retry-After"] = str(exc.limit.limit.get_expiry())
    return flask_response


def _refuse_unrouted_requests() -> None:
    """Only requests that Connexion matched to an operation of the contract reach a handler.

    A path that Connexion's router does not match but Flask's would (odd bytes in a path
    parameter, say) would otherwise skip authentication and validation; it is a 404."""
    try:
        connexion_context.operation.operation_id  # noqa: B018 (raises when unrouted)
    except RuntimeError:
        raise NotFound("No such resource.", code="not_found") from None


def _canonical_path_ids(_endpoint: str | None, values: dict[str, object] | None) -> None:
    """Every id in the path, in its one canonical spelling (lower case), before any handler
    uses it for a lookup, an idempotency key or a Location: `…/meters/ABC…` is the same
    meter as `…/meters/abc…`, and a retry spelled either way is the same retry. The contract
    validated each as a UUID already (surrounding whitespace is not one: a 400). A path that
    Connexion did not route is left as it is: `_refuse_unrouted_requests` answers it."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and isinstance(value, str):
            try:
                values[name] = str(uuid.UUID(value))  # type: ignore[index]
            except ValueError:
                continue


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
    # No Flask static route: every path the app answers is in the contract (or its docs).
    app = connexion.FlaskApp(__name__, specification_dir=str(SPEC_PATH.parent), server_args={"static_folder": None})
    app.add_api(
        load_contract(),
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=VALIDATOR_MAP,
        pythonic_params=True,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/docs"),
    )
    app.add_middleware(RequestContextMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        BodyLimitMiddleware,
        position=MiddlewarePosition.BEFORE_SWAGGER,
        max_bytes=settings.max_body_bytes,
        larger={("POST", "/api/v1/imports"): settings.import_max_bytes},
    )
    app.add_middleware(ConcretePathMiddleware, position=MiddlewarePosition.BEFORE_ROUTING)
    # After routing and security (an unknown path is a 404, a missing token a 401 first),
    # before validation: the body's media type decides how it is validated and parsed.
    app.add_middleware(JsonBodyMiddleware, position=MiddlewarePosition.BEFORE_VALIDATION)
    # Registered first: the more specific handlers below take precedence over these.
    app.add_error_handler(Exception, problem_of_framework)
    app.add_error_handler(Problem, problem_of_framework)
    app.add_error_handler(ProblemException, problem_of_framework)
    app.add_error_handler(StarletteHTTPException, problem_of_framework)
    app.add_error_handler(OperationalError, _database_unavailable)
    app.add_error_handler(PoolTimeoutError, _database_unavailable)
    app.add_error_handler(DataError, _database_rejected_value)
    app.add_error_handler(IntegrityError, _constraint_violated)
    app.add_error_handler(NoResultFound, _vanished)
    app.add_error_handler(DBAPIError, _database_error)
    app.add_error_handler(ConnexionUnauthorized, _missing_credentials)
    app.add_error_handler(pydantic.ValidationError, _model_rejected)

    flask_app = app.app
    flask_app.url_value_preprocessor(_canonical_path_ids)
    flask_app.before_request(_refuse_unrouted_requests)
    flask_app.after_request(_finish_request)
    flask_app.teardown_appcontext(_close_session)
    flask_app.register_error_handler(RateLimitExceeded, _rate_limited)
    flask_app.register_error_handler(Problem, _problem_inside_flask)
    init_rate_limits(flask_app)
    # After the limiter's own hook: a spent token's budget is a 429 before any database work.
    flask_app.before_request(check_api_token_scope)
    return app
