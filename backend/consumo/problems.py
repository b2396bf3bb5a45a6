"""One error hierarchy, rendered as RFC 9457 problem details (`application/problem+json`).

Services raise these plain exceptions (no web framework here, so the domain runs anywhere: a
worker, a CLI, a test); the web edge renders them, and every framework error, as a problem
response (`consumo.framework_problems`). Nothing else ever reaches a client: no stack trace, no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NotRequired, TypedDict

PROBLEM_BASE = "urn:consumo:problem:"

ParamValue = str | int | float
"""A parameter of a problem's `code` (a limit, a date, an amount in minor units, a currency…)."""


class FieldError(TypedDict):
    """One entry of a problem's `errors`: the field, the English message, and the message's
    stable `code` with its `params`, from which a client says it in its user's language."""

    field: str
    message: str
    code: NotRequired[str]
    params: NotRequired[dict[str, ParamValue]]


class Problem(Exception):
    """Base of our problems. Subclasses fix status, title and type.

    Every problem carries a stable machine-readable `code` (dotted, lower case: `period.too_long`)
    and the `params` its message needs, so a client can word it in its user's language; `detail`
    stays English, a fallback. Each raise site names its code; the class's own is the fallback for
    one that does not (the contract lists every code, and a test checks that list against the
    codes written here)."""

    status_code = 500
    title = "Internal Server Error"
    slug = "internal"
    code = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, ParamValue] | None = None,
        field: str | None = None,
        errors: Iterable[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        max_errors: int = 100,
    ) -> None:
        super().__init__(detail or self.title)
        if errors is None and field:  # a problem about one field is that field's error
            errors = [{"field": field, "message": detail or self.title}]
        self.detail = detail
        if code is not None:
            self.code = code
        self.params = dict(params or {})
        # A field error without a code of its own is worded by the problem's code.
        self.errors = [_coded(error, self.code, self.params) for error in errors][:max_errors] if errors else None
        self.headers = dict(headers or {})

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def body(self) -> dict[str, Any]:
        """The RFC 9457 members (and `errors`, each offending field, for validation)."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "detail": self.detail,
            "status": self.status_code,
            "code": self.code,
        }
        if self.params:
            body["params"] = self.params
        if self.errors:
            body["errors"] = self.errors
        return body


def _coded(error: Mapping[str, Any], code: str, params: Mapping[str, ParamValue]) -> dict[str, Any]:
    coded = dict(error)
    if "code" not in coded:
        coded["code"] = code
        if params:
            coded["params"] = dict(params)
    return coded


class ValidationProblem(Problem):
    status_code = 400
    title = "Bad Request"
    slug = "validation"
    code = "request.invalid"


class Unauthorized(Problem):
    status_code = 401
    title = "Unauthorized"
    slug = "unauthorized"
    code = "auth.required"

    def __init__(self, detail: str = "Missing, invalid or expired credentials.", *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": 'Bearer realm="consumo"'})


class Forbidden(Problem):
    status_code = 403
    title = "Forbidden"
    slug = "forbidden"
    code = "forbidden"


class NotFound(Problem):
    status_code = 404
    title = "Not Found"
    slug = "not-found"
    code = "not_found"


class Conflict(Problem):
    status_code = 409
    title = "Conflict"
    slug = "conflict"
    code = "conflict"


class PreconditionFailed(Problem):
    status_code = 412
    title = "Precondition Failed"
    slug = "stale-version"
    code = "version.stale"


class PayloadTooLarge(Problem):
    status_code = 413
    title = "Content Too Large"
    slug = "payload-too-large"
    code = "body.too_large"


class UnsupportedMediaType(Problem):
    status_code = 415
    title = "Unsupported Media Type"
    slug = "unsupported-media-type"
    code = "body.media_type"


class UnprocessableContent(Problem):
    status_code = 422
    title = "Unprocessable Content"
    slug = "rule-violated"
    code = "rule.violated"


class PreconditionRequired(Problem):
    status_code = 428
    title = "Precondition Required"
    slug = "if-match-required"
    code = "version.if_match_required"


class TooManyRequests(Problem):
    status_code = 429
    title = "Too Many Requests"
    slug = "rate-limited"
    code = "rate_limited"


class ServiceUnavailable(Problem):
    status_code = 503
    title = "Service Unavailable"
    slug = "unavailable"
    code = "unavailable"

    def __init__(
        self,
        detail: str = "The service is temporarily unavailable.",
        *,
        code: str | None = None,
        retry_after_s: int = 2,
    ) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(retry_after_s)})
