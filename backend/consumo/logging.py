"""Structured logs: every line carries the request id, tenant and user of its request."""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# One mutable dict per request, installed by the outermost ASGI middleware. Code running
# in another context (Flask handlers run in a worker thread, on a *copy* of the request's
# context) binds values by mutating this same dict, so they reach the access line that
# the middleware writes after the response, back in the original context.
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)


def bind_log_context(**values: str) -> None:
    """Adds values to every later log line of this request (and to its access line)."""
    current = _context.get()
    if current is None:
        _context.set(dict(values))
    else:
        current.update(values)


def reset_log_context(**values: str) -> contextvars.Token[dict[str, str] | None]:
    """Starts a request's log context; returns the token that `restore_log_context` takes."""
    return _context.set(dict(values))


def restore_log_context(token: contextvars.Token[dict[str, str] | None]) -> None:
    _context.reset(token)


def log_context() -> dict[str, str]:
    return dict(_context.get() or {})


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("request_id", "tenant_id", "user_id", "method", "path", "status", "duration_ms", "operation_id")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = " ".join(
            f"{field}={getattr(record, field)}"
            for field in JsonFormatter.FIELDS
            if getattr(record, field, None) is not None
        )
        return f"{base} {extras}".rstrip()


def log_handler(*, json_lines: bool) -> logging.Handler:
    """The one handler every log line goes through (also gunicorn's, see `consumo.server`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        JsonFormatter() if json_lines else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    return handler


def configure_logging(*, json_lines: bool, level: str) -> None:
    # No line prints its source file, thread or process: not looking them up for every record
    # (the logging HOWTO's "Optimization") saves a stack walk per access-log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = log_handler(json_lines=json_lines)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Connexion logs every rejected request at WARNING; our access log already says it.
    logging.getLogger("connexion").setLevel(logging.ERROR)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
