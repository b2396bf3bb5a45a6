"""Bounds on a request's head (request line and header fields), enforced by the HTTP server
before the application sees the request.

uvicorn's httptools protocol, which both `consumo serve` and the gunicorn workers run, has
no limit of its own: a single 32 MB header was read whole into memory and passed to the app
(gunicorn's `limit_request_*` settings apply only to its own parsers, not to uvicorn
workers). This protocol refuses, with a problem document and the connection closed:
- a request target longer than MAX_URL_BYTES: 414;
- a header field (name and value) longer than MAX_FIELD_BYTES, more than MAX_FIELDS of
  them, or a head longer than MAX_HEAD_BYTES in all: 431.
The whole-head bound is checked on every read, so memory stays bounded by it (plus one
socket read) however the head is cut, and a complete head is also measured exactly from its
parsed fields, whichever reads carried it. Only reads that are head from end to end are counted:
a read that finishes a message (the last part of a body, however large) is not counted
against the next head, whose first bytes it may hold (that is the "one socket read").
"""

from __future__ import annotations

import http
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_URL_BYTES = 8 * 1024
MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 100
MAX_HEAD_BYTES = 64 * 1024
PROTOCOL = "consumo.http_limits:BoundedHttpToolsProtocol"

logger = logging.getLogger(__name__)


class _HeadRefused(Exception):
    pass


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._fields = 0
        self._field_bytes = 0
        self._messages_completed = 0
        self._refusal: tuple[int, str] | None = None

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return
        messages_completed = self._messages_completed
        super().data_received(data)
        # Still (or again) in a head: the whole read is head only if no message ended in it.
        if self._refusal is None and self._in_head and self._messages_completed == messages_completed:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, f"The request's header fields exceed {MAX_HEAD_BYTES} bytes in all.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._fields = 0
        self._field_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._refusal = (414, f"The request target exceeds {MAX_URL_BYTES} bytes.")
            raise _HeadRefused

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if self._fields > MAX_FIELDS:
            self._refusal = (431, f"A request has at most {MAX_FIELDS} header fields.")
            raise _HeadRefused
        if len(name) + len(value) > MAX_FIELD_BYTES:
            self._refusal = (431, f"A header field exceeds {MAX_FIELD_BYTES} bytes.")
            raise _HeadRefused
        self._field_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if len(self.url) + self._field_bytes > MAX_HEAD_BYTES:
            self._refusal = (431, f"The request's header fields exceed {MAX_HEAD_BYTES} bytes in all.")
            raise _HeadRefused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._messages_completed += 1
        self._in_head = True
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        # The parser turns an exception raised in a callback into a parse error, which the
        # base class answers with this method: answer the refusal instead.
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(*self._refusal)

    def _refuse(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        logger.warning("request head refused (%s): %s", status, detail)
        phrase = http.HTTPStatus(status).phrase
        slug = "uri-too-long" if status == 414 else "request-header-too-large"
        body = json.dumps(
            {"type": f"urn:consumo:problem:{slug}", "title": phrase, "status": status, "detail": detail}
        ).encode()
        head = [f"HTTP/1.1 {status} {phrase}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/problem+json",
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()
