"""ASGI middleware around the Connexion app: request ids, security headers, access log,
and the body-size limit enforced before anything parses the body."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumo.framework_problems import concrete_paths
from consumo.logging import log_context, reset_log_context, restore_log_context
from consumo.metrics import record_request
from consumo.problems import PayloadTooLarge

access_log = logging.getLogger("consumo.access")
# Connexion's router records the matched operation in scope["extensions"][ROUTING_CONTEXT].
# It works on a shallow copy of the scope, so it fills the `extensions` dict we put there.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _printable(text: str) -> str:
    """Control characters escaped, so a crafted path cannot forge log lines."""
    return _CONTROL_CHARS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)[:2048]


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
DOCS_PATH = "/api/v1/docs"  # Swagger UI (connexion's, see app.py); every other path is the API's
# Swagger UI's page runs its own script and styles from this origin (connexion's bundle):
# allowed there, and nothing else; never cached (it embeds the API's current contract).
DOCS_ONLY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Cache-Control": "no-store",
}
API_ONLY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def contract_operation_id(extensions: dict[str, Any]) -> str | None:
    """The operationId of the contract that the router matched (None when none matched).
    Connexion records the resolved handler, `<x-openapi-router-controller>.<operationId>`."""
    resolved = (extensions.get(ROUTING_CONTEXT) or {}).get("operation_id")
    return resolved.rsplit(".", 1)[-1] if resolved else None


class RequestContextMiddleware:
    """Outermost: gives every request an id (echoed as X-Request-ID), adds security headers
    to every response, writes one access-log line per request (request id, tenant, user,
    operationId, status, duration) and counts it in the metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else str(uuid.uuid4())
        token = reset_log_context(request_id=request_id)
        started = time.perf_counter()
        status = 500
        path: str = _printable(scope.get("path", ""))
        is_docs = path == DOCS_PATH or path.startswith(DOCS_PATH + "/")
        extensions: dict[str, Any] = scope.setdefault("extensions", {})

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                for name, value in (DOCS_ONLY_HEADERS if is_docs else API_ONLY_HEADERS).items():
                    headers.setdefault(name, value)
                if "server" in headers:
                    del headers["server"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            duration_s = time.perf_counter() - started
            operation_id = contract_operation_id(extensions)
            record_request(operation_id, status, duration_s)
            # Tenant and user were bound by the handler's thread into this request's context.
            access_log.info(
                "%s %s %s",
                scope.get("method"),
                path,
                status,
                extra={
                    **log_context(),
                    "method": scope.get("method"),
                    "path": path,
                    "operation_id": operation_id,
                    "status": status,
                    "duration_ms": round(duration_s * 1000, 2),
                },
            )
            restore_log_context(token)


class ConcretePathMiddleware:
    """A concrete path of the contract is matched before a templated one (OpenAPI 3.0, "Path
    Templating Matching"): `GET /consumptions/batch` is a 405 (only POST is there), not a read
    of a record whose id is `batch`. The router alone would take the templated path's GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            methods = concrete_paths().get(scope.get("path", ""))
            if methods is not None and scope.get("method") not in methods | {"OPTIONS"}:
                raise HTTPException(405)
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Rejects bodies over `max_bytes` with 413 before they are read into memory or parsed:
    at once from Content-Length, and while streaming for chunked bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[tuple[str, str], int] | None = None) -> None:
        """`larger`: (method, path) → the limit of an operation that takes larger bodies (a file upload)."""
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get((scope.get("method", ""), scope.get("path", "").rstrip("/")), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > max_bytes
            except ValueError:
                too_large = False
            if too_large:
                raise self._too_large(max_bytes)
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise self._too_large(max_bytes)
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _too_large(max_bytes: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body exceeds {max_bytes} bytes.",
            code="body.too_large",
            params={"max_bytes": max_bytes},
        )
