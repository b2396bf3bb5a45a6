"""ASGI middleware that decides, before validation, whether a request body is JSON at all.

Connexion picks the body validator, and Flask the body parser, from the Content-Type header,
and the two read it differently: with no Content-Type Connexion validates the body as JSON
while the handler receives raw bytes; `Application/JSON` matches no validator (skipped) yet
Flask parses it. So the header is settled here, once, for every request that carries a body:

- any case of `application/json`, with a `charset=utf-8` parameter or none, is rewritten to
  plain `application/json`, the one spelling the validator and the parser both know;
- a missing, repeated or different Content-Type, or another charset, is a 415 problem;
- a chunked body (no Content-Length) is read here, within the body-size limit that wraps
  this middleware, and passed on with its Content-Length, so it is validated like any other.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumo.middleware import contract_operation_id
from consumo.problems import UnsupportedMediaType

JSON_MEDIA_TYPE = b"application/json"
# Operations whose body is a CSV file rather than JSON.
CSV_OPERATIONS = frozenset({"create_import"})
_ACCEPTED_CHARSETS = {"utf-8", "utf8"}


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


def _is_json(content_type: bytes) -> bool:
    """`application/json` in any case, optionally with a UTF-8 charset parameter (RFC 9110
    §8.3.1: type, subtype and parameter names are case-insensitive)."""
    return _is_media_type(content_type, "application/json")


def _is_form(content_type: bytes) -> bool:
    """`multipart/form-data` with its boundary (the file part is read by the handler)."""
    media_type, _, parameters = content_type.decode("latin-1").partition(";")
    return media_type.strip().lower() == "multipart/form-data" and "boundary=" in parameters.lower()


def _is_media_type(content_type: bytes, expected: str) -> bool:
    """`expected` in any case, optionally with a UTF-8 charset parameter."""
    media_type, _, parameters = content_type.decode("latin-1").partition(";")
    if media_type.strip().lower() != expected:
        return False
    for parameter in filter(None, (p.strip() for p in parameters.split(";"))):
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() not in _ACCEPTED_CHARSETS:
            return False
    return True


class JsonBodyMiddleware:
    """Every request body reaching validation is declared `application/json` and has a length."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        if scope["type"] != "http" or not _has_body(headers):
            await self.app(scope, receive, send)
            return
        content_types = [value for name, value in headers if name == b"content-type"]
        if contract_operation_id(scope.get("extensions") or {}) in CSV_OPERATIONS:
            # A file upload, read by its handler as a stream (within its own size limit).
            if len(content_types) != 1 or not (
                _is_media_type(content_types[0], "text/csv") or _is_form(content_types[0])
            ):
                raise UnsupportedMediaType(
                    "A CSV file must be sent as Content-Type: text/csv (UTF-8) or in a multipart/form-data form.",
                    code="body.media_type",
                )
            await self.app(scope, receive, send)
            return
        if len(content_types) != 1 or not _is_json(content_types[0]):
            declared = content_types[0].decode("latin-1")[:100] if len(content_types) == 1 else None
            raise UnsupportedMediaType(
                "A request body must be sent as Content-Type: application/json"
                + (f", not {declared!r}." if declared else "."),
                code="body.media_type",
            )
        kept = [
            (name, value)
            for name, value in headers
            if name not in (b"content-type", b"transfer-encoding", b"content-length")
        ]
        kept.append((b"content-type", JSON_MEDIA_TYPE))
        declared_length = next((value for name, value in headers if name == b"content-length"), None)
        if declared_length is not None:
            kept.append((b"content-length", declared_length))
            await self.app({**scope, "headers": kept}, receive, send)
            return
        body = await _read_all(receive)
        kept.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": kept}, _replay(body, receive), send)


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; what came so far is all there is
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
        return message

    return replay
