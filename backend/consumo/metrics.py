"""Prometheus metrics: requests per operation and status, their latency, and the database pool.

Served by `GET /api/v1/metrics` (operation `get_metrics`, behind its own static bearer token).

Under gunicorn every worker is a process with its own counters. When
`PROMETHEUS_MULTIPROC_DIR` is set (`consumo serve --production` sets it), prometheus-client
keeps each worker's values in files there and a scrape, answered by any one worker, adds
them up; the directory must be emptied before the server starts (the CLI does that) and a
dead worker's gauges are dropped by `mark_worker_dead` (a gunicorn hook).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import Engine, event

# The classic text format: every Prometheus (2.x and 3.x) and agent parses it.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNROUTED = "unrouted"  # requests that match no operation of the contract (a 404 or 405)

REQUESTS = Counter(
    "consumo_http_requests",
    "HTTP requests answered, by operationId and status code.",
    ["operation_id", "status"],
)
LATENCY = Histogram(
    "consumo_http_request_duration_seconds",
    "Time from the first byte of a request to the end of its response, by operationId and status.",
    ["operation_id", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Gauges are summed over the live workers, so they describe the whole server.
POOL_CAPACITY = Gauge(
    "consumo_db_pool_capacity_connections",
    "Connections the API's database pools may hold (pool size plus overflow).",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "consumo_db_pool_open_connections",
    "Database connections currently open by the API's pools.",
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "consumo_db_pool_checked_out_connections",
    "Database connections currently lent to a request.",
    multiprocess_mode="livesum",
)


def record_request(operation_id: str | None, status: int, duration_s: float) -> None:
    labels = (operation_id or UNROUTED, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(duration_s)


def instrument_pool(engine: Engine) -> None:
    """Keeps the pool gauges current from the pool's own events (no polling)."""
    pool: Any = engine.pool
    size = pool.size() if hasattr(pool, "size") else 0
    overflow = max(getattr(pool, "_max_overflow", 0), 0)
    POOL_CAPACITY.inc(size + overflow)

    event.listen(pool, "connect", lambda *_args: POOL_OPEN.inc())
    event.listen(pool, "close", lambda *_args: POOL_OPEN.dec())
    event.listen(pool, "close_detached", lambda *_args: POOL_OPEN.dec())
    event.listen(pool, "checkout", lambda *_args: POOL_CHECKED_OUT.inc())
    event.listen(pool, "checkin", lambda *_args: POOL_CHECKED_OUT.dec())


def exposition() -> bytes:
    """The current metrics in the Prometheus text format (all workers' when multiprocess)."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()


def mark_worker_dead(pid: int) -> None:
    """Gunicorn `child_exit` hook: the dead worker's live gauges stop counting."""
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
