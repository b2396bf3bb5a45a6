"""One error hierarchy, rendered as RFC 9457 problem details (`application/problem+json`).

Services raise these plain exceptions (no web framework here, so the domain runs anywhere: a
worker, a CLI, a test); the web edge renders them, and every framework error, as a problem
response (`consumo.framework_problems`). Nothing else ever reaches a client: no stack trace, no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PROBLEM_BASE = "urn:consumo:problem:"


class Problem(Exception):
    """Base of our problems. Subclasses fix status, title and type."""

    status_code = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Iterable[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        max_errors: int = 100,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = [dict(error) for error in errors][:max_errors] if errors else None
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
        }
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationProblem(Problem):
    status_code = 400
    title = "Bad Request"
    slug = "validation"


class Unauthorized(Problem):
    status_code = 401
    title = "Unauthorized"
    slug = "unauthorized"

    def __init__(self, detail: str = "Missing, invalid or expired credentials.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="consumo"'})


class Forbidden(Problem):
    status_code = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(Problem):
    status_code = 404
    title = "Not Found"
    slug = "not-found"


class Conflict(Problem):
    status_code = 409
    title = "Conflict"
    slug = "conflict"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        errors = [{"field": field, "message": detail}] if field else None
        super().__init__(detail, errors=errors)


class PreconditionFailed(Problem):
    status_code = 412
    title = "Precondition Failed"
    slug = "stale-version"


class PayloadTooLarge(Problem):
    status_code = 413
    title = "Content Too Large"
    slug = "payload-too-large"


class UnsupportedMediaType(Problem):
    status_code = 415
    title = "Unsupported Media Type"
    slug = "unsupported-media-type"


class UnprocessableContent(Problem):
    status_code = 422
    title = "Unprocessable Content"
    slug = "rule-violated"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: Iterable[Mapping[str, str]] | None = None,
        max_errors: int = 100,
    ) -> None:
        if errors is None and field:
            errors = [{"field": field, "message": detail}]
        super().__init__(detail, errors=errors, max_errors=max_errors)


class PreconditionRequired(Problem):
    status_code = 428
    title = "Precondition Required"
    slug = "if-match-required"


class TooManyRequests(Problem):
    status_code = 429
    title = "Too Many Requests"
    slug = "rate-limited"


class ServiceUnavailable(Problem):
    status_code = 503
    title = "Service Unavailable"
    slug = "unavailable"

    def __init__(self, detail: str = "The service is temporarily unavailable.", *, retry_after_s: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})
