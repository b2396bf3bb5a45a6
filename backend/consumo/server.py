"""The production server: gunicorn managing uvicorn workers that serve `consumo.asgi:app`.

`consumo serve --production` runs it, in containers and on hosts alike. Every worker is a
process with its own database pool (DB_POOL_SIZE + the same overflow), so the database must
accept WEB_CONCURRENCY x 2 x DB_POOL_SIZE connections per API instance.
"""

from __future__ import annotations

import gc
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from consumo.config import get_settings
from consumo.http_limits import PROTOCOL
from consumo.logging import log_handler


class QuietUvicornWorker(UvicornWorker):
    """uvicorn's worker without its `Server: uvicorn` header (no software banner), with the
    request-head limits of `consumo.http_limits` (gunicorn's `limit_request_*` do not reach it)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {**UvicornWorker.CONFIG_KWARGS, "server_header": False, "http": PROTOCOL}


WORKER_CLASS = "consumo.server.QuietUvicornWorker"
DEFAULT_WORKERS = 2
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


# How long an idle keep-alive connection stays open. Longer than the idle timeout of whatever
# proxies to the API (the web app's rewrite proxy in Node: 5 s; load balancers: usually 60 s), so
# the proxy always closes an idle connection first and never sends a request down one the API is
# closing at that moment (the proxy would answer that request with a 500: "socket hang up").
KEEP_ALIVE_S = 65


def worker_count(explicit: int | None = None) -> int:
    """`--workers`, else WEB_CONCURRENCY (the variable gunicorn and PaaS hosts use), else 2."""
    if explicit is not None:
        count = explicit
    else:
        raw = os.environ.get("WEB_CONCURRENCY", "").strip()
        try:
            count = int(raw) if raw else DEFAULT_WORKERS
        except ValueError:
            raise SystemExit(f"WEB_CONCURRENCY must be a whole number, not {raw!r}") from None
    if not 1 <= count <= 64:
        raise SystemExit(f"the worker count must be between 1 and 64, not {count}")
    return count


def prepare_metrics_dir() -> Path:
    """Workers share their metrics through files in PROMETHEUS_MULTIPROC_DIR (a fresh
    temporary folder when unset). Files of a previous run would be added to this run's
    numbers, so they are removed before any worker starts."""
    configured = os.environ.get(METRICS_DIR_ENV, "").strip()
    folder = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="consumo-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[METRICS_DIR_ENV] = str(folder)
    return folder


class JsonAwareLogger(glogging.Logger):
    """Gunicorn's own lines (worker boots, timeouts) in the same format as the app's;
    gunicorn's and uvicorn's access logs are off because the app writes a richer one."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        settings = get_settings()
        self.error_log.handlers = [log_handler(json_lines=settings.log_json)]
        self.error_log.setLevel(settings.log_level.upper())
        self.access_log.handlers = [logging.NullHandler()]
        self.access_log.propagate = False


def _child_exit(_server: Any, worker: Any) -> None:
    from consumo.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


class ProductionServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from consumo.asgi import app

        # Everything built at start (routes, compiled validators, the spec) lives as long as the
        # worker: moved out of the garbage collector's generations, full collections stay short
        # instead of walking it again and again (a source of p99 spikes).
        gc.collect()
        gc.freeze()
        return app


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "logger_class": JsonAwareLogger,
        "accesslog": None,
        "child_exit": _child_exit,
        "control_socket_disable": True,  # no gunicornc control socket in $HOME
        # A worker silent this long is killed and replaced; requests themselves are bounded
        # far below it by DB_STATEMENT_TIMEOUT_MS.
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": KEEP_ALIVE_S,
        # Workers are not recycled after a number of requests: a fresh worker answers its first
        # requests slowly (imports, statement and validator caches, pool connections), and
        # recycling every 10,000 requests put that cliff into p99 under load. MAX_REQUESTS
        # (gunicorn's own setting) turns recycling back on if a leak is ever found.
        "max_requests": int(os.environ.get("MAX_REQUESTS", "0")),
        "max_requests_jitter": int(os.environ.get("MAX_REQUESTS", "0")) // 10,
        # Trust X-Forwarded-* only from the proxies listed in FORWARDED_ALLOW_IPS; none unless
        # configured (see Settings.forwarded_allow_ips).
        "forwarded_allow_ips": get_settings().forwarded_allow_ips,
    }


def serve_production(host: str, port: int, workers: int) -> None:
    ProductionServer(gunicorn_options(host, port, workers)).run()
