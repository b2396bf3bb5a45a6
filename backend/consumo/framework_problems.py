"""Problems rendered at the web edge: ours (`consumo.problems`, plain exceptions), and those made
by the frameworks (Connexion's 400s and 405s, Starlette's HTTP errors, an unexpected exception's
500) rendered like the API's own: a `urn:consumo:problem:` type
instead of `about:blank`, and on a 405 the `Allow` header the contract gives that path."""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from consumo.config import load_contract
from consumo.problems import PROBLEM_BASE, Problem

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

SLUG_BY_STATUS = {
    400: "validation",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
    500: "internal",
}
# The `code` of a framework's problem, by status (`http_error` for any other).
FRAMEWORK_CODES = {
    400: "request.invalid",
    401: "auth.required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body.too_large",
    415: "body.media_type",
    500: "internal",
    0: "http_error",
}
_METHODS = ("get", "put", "post", "patch", "delete")


@lru_cache(maxsize=1)
def _contract_paths() -> list[tuple[re.Pattern[str], str]]:
    """Each path of the contract as a pattern of request paths, with its methods as `Allow` says them."""
    spec = load_contract()
    base = spec["servers"][0]["url"].rstrip("/")
    paths = []
    for template, item in spec["paths"].items():
        methods = [m.upper() for m in _METHODS if m in item]
        if "GET" in methods:
            methods.insert(1, "HEAD")
        pattern = re.compile(re.escape(base) + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + r"\Z")
        paths.append((pattern, ", ".join(methods)))
    return paths


@lru_cache(maxsize=1)
def concrete_paths() -> dict[str, frozenset[str]]:
    """The contract's paths without a template part (`/api/v1/consumptions/batch`) → their methods."""
    return {
        pattern.pattern.removesuffix(r"\Z").replace("\\", ""): frozenset(methods.split(", "))
        for pattern, methods in _contract_paths()
        if "[^/]+" not in pattern.pattern
    }


def allowed_methods(path: str) -> str | None:
    return next((methods for pattern, methods in _contract_paths() if pattern.match(path)), None)


def _render(
    request: ConnexionRequest, status: int, title: str | None, detail: str | None, headers: dict[str, str] | None
) -> ConnexionResponse:
    headers = dict(headers or {})
    if status == 405:
        allow = allowed_methods(request.url.path)
        if allow:
            headers["Allow"] = allow
    return ProblemException(
        status=status,
        title=title or "Error",
        detail=detail,
        type=PROBLEM_BASE + SLUG_BY_STATUS.get(status, "http-error"),
        headers=headers,
        ext={"code": FRAMEWORK_CODES.get(status, FRAMEWORK_CODES[0])},
    ).to_problem()


def problem_response(problem: Problem) -> ConnexionResponse:
    """One of our problems as its `application/problem+json` response."""
    return ConnexionResponse(
        problem.status_code, PROBLEM_JSON, PROBLEM_JSON, body=json.dumps(problem.body()), headers=dict(problem.headers)
    )


def problem_of_framework(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    if isinstance(exc, Problem):
        return problem_response(exc)
    if isinstance(exc, ProblemException):
        (logger.warning if exc.status < 500 else logger.error)("%r", exc)
        return _render(request, exc.status, exc.title, exc.detail, exc.headers)
    if isinstance(exc, HTTPException):
        (logger.warning if exc.status_code < 500 else logger.error)("%r", exc)
        title = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", exc.__class__.__name__) if exc.detail is None else None
        return _render(request, exc.status_code, title or _phrase(exc.status_code), exc.detail, dict(exc.headers or {}))
    logger.error("%r", exc, exc_info=exc)
    return _render(
        request, 500, "Internal Server Error", "The server met an unexpected error; it has been logged.", None
    )


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
