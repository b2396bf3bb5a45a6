"""KPI benchmark: a tenant with 1,000,000 records; the KPI endpoints (answered from the
daily roll-up) against a naive GROUP BY over the raw records, measured in the same run.

    make bench-kpis                      # 1,000,000 records (seeding takes a few minutes)
    BENCH_RECORDS=100000 make bench-kpis # quicker

Runs on its own throwaway embedded PostgreSQL (or BENCH_DATABASE_URL's server), never on
the machine's shared databases.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pgtools import load_records, pgbench_binary, seeding_settings, server_dsn, throwaway_database

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
RANGE_FROM, RANGE_TO = "2023-01-01", "2025-12-31"  # 36 months


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 99)


def main() -> int:
    server = server_dsn()
    with throwaway_database(server, "consumo_bench") as owner_url:
        os.environ.update(seeding_settings(owner_url), REFRESH_COOKIE_SECURE="false")
        try:
            return run(owner_url, server)
        finally:
            from consumo.db import app_engine

            app_engine().dispose()


def run(owner_url: str, server: str) -> int:
    from alembic import command
    from alembic.config import Config

    from consumo.app import create_app
    from consumo.config import BACKEND_DIR

    command.upgrade(Config(str(BACKEND_DIR / "alembic.ini")), "head")
    app = create_app()
    client = app.test_client()
    registered = client.post(
        "/api/v1/auth/register",
        json={"username": "bench", "email": "bench@example.com", "password": "bench-password-1"},
    )
    assert registered.status_code == 201, registered.text
    user = registered.json()

    print(f"seeding {RECORDS:,} records for one tenant ...", flush=True)
    started = time.perf_counter()
    with psycopg.connect(owner_url.replace("postgresql+psycopg", "postgresql"), autocommit=False) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (user["tenant"]["id"],))
        load_records(conn, [(user["tenant"]["id"], user["id"], RECORDS)])
        conn.commit()
        conn.execute("ANALYZE")
        rollup_rows = conn.execute("SELECT count(*) FROM consumption_daily").fetchone()
    print(f"seeded in {time.perf_counter() - started:.0f} s; roll-up rows: {rollup_rows[0] if rollup_rows else 0:,}")

    # Logged in after seeding: the access token lives 15 minutes.
    login = client.post("/api/v1/auth/login", json={"username": "bench", "password": "bench-password-1"}).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}

    naive_engine = psycopg.connect(owner_url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
    naive_engine.execute("SET ROLE consumo_app")
    naive_engine.execute("SELECT set_config('app.tenant_id', %s, false)", (user["tenant"]["id"],))

    def api(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.text
            return response

        return call

    def sql(query: str) -> Callable[[], object]:
        return lambda: naive_engine.execute(query, {"owner": user["id"]}).fetchall()

    naive_summary = """
        SELECT kind, sum(quantity * ((LEAST(period_end, date %(to)s) - GREATEST(period_start, date %(from)s) + 1)::numeric
                                     / (period_end - period_start + 1))),
               sum(cost_minor * ((LEAST(period_end, date %(to)s) - GREATEST(period_start, date %(from)s) + 1)::numeric
                                 / (period_end - period_start + 1))), count(*)
        FROM consumption_records
        WHERE owner_id = %%(owner)s AND period_end >= date %(from)s AND period_start <= date %(to)s
        GROUP BY kind
    """ % {"from": f"'{RANGE_FROM}'", "to": f"'{RANGE_TO}'"}
    naive_series = """
        SELECT date_trunc('month', g.day) AS month, kind,
               sum(quantity / (period_end - period_start + 1)), sum(cost_minor::numeric / (period_end - period_start + 1))
        FROM consumption_records,
             generate_series(period_start::timestamp, period_end::timestamp, interval '1 day') AS g(day)
        WHERE owner_id = %%(owner)s AND period_end >= date %(from)s AND period_start <= date %(to)s
          AND g.day BETWEEN date %(from)s AND date %(to)s
        GROUP BY 1, 2
    """ % {"from": f"'{RANGE_FROM}'", "to": f"'{RANGE_TO}'"}

    bounds = {"from": f"'{RANGE_FROM}'", "to": f"'{RANGE_TO}'"}
    rollup_summary = (
        """
        SELECT kind, currency, sum(quantity), sum(cost_minor), sum(records) FROM consumption_monthly
        WHERE owner_id = %%(owner)s AND month BETWEEN date %(from)s AND date %(to)s GROUP BY kind, currency
    """
        % bounds
    )
    rollup_series = (
        """
        SELECT month, kind, currency, sum(quantity), sum(cost_minor) FROM consumption_monthly
        WHERE owner_id = %%(owner)s AND month BETWEEN date %(from)s AND date %(to)s GROUP BY 1, 2, 3
    """
        % bounds
    )
    series_path = f"/api/v1/kpis/timeseries?interval=month&from={RANGE_FROM}&to={RANGE_TO}"
    rows = [
        (
            "summary (36 months)",
            api(f"/api/v1/kpis/summary?from={RANGE_FROM}&to={RANGE_TO}"),
            sql(rollup_summary),
            sql(naive_summary),
        ),
        ("timeseries, month (36 buckets)", api(series_path), sql(rollup_series), sql(naive_series)),
        (
            "breakdown (36 months)",
            api(f"/api/v1/kpis/breakdown?from={RANGE_FROM}&to={RANGE_TO}"),
            sql(rollup_summary),
            sql(naive_summary),
        ),
    ]
    print(
        f"\n{RECORDS:,} records, {ROUNDS} rounds each. API: the endpoint through the whole HTTP stack in "
        "process (auth, RLS, validation; the summary's 4 periods run as one statement, plus budgets). "
        "roll-up SQL: its main aggregate "
        "alone. naive SQL: the same figures by one GROUP BY over the raw rows."
    )
    print(
        f"{'endpoint':32} {'API p50/p99 ms':>16} {'roll-up SQL p50/p99':>20} {'naive SQL p50/p99':>19} "
        f"{'naive/roll-up':>13}"
    )
    health_p50, health_p99 = measure(api("/api/v1/health"))
    print(f"{'baseline: GET /health (no DB)':32} {health_p50:7.1f} / {health_p99:6.1f}")
    for label, endpoint, rollup, raw in rows:
        api_p50, api_p99 = measure(endpoint)
        fast_p50, fast_p99 = measure(rollup)
        slow_p50, slow_p99 = measure(raw)
        print(
            f"{label:32} {api_p50:7.1f} / {api_p99:6.1f} {fast_p50:11.1f} / {fast_p99:6.1f} "
            f"{slow_p50:10.1f} / {slow_p99:6.1f} {slow_p50 / fast_p50:12.0f}x"
        )
    naive_engine.close()
    pgbench_ms = pgbench_select_latency(server)
    measure_over_a_socket(pgbench_ms)
    return 0


def pgbench_select_latency(server: str) -> float | None:
    """`pgbench -S` (one primary-key SELECT per transaction, one client) on a scratch database of
    the same server: the floor of one query round trip. None when no pgbench is at hand."""
    import re
    import subprocess

    binary = pgbench_binary()
    if binary is None:
        print("pgbench not found: no database ceiling")
        return None
    with throwaway_database(server, "consumo_bench_pgbench") as target:
        subprocess.run([binary, "-i", "-s", "1", "-q", target], check=True, capture_output=True)  # noqa: S603
        done = subprocess.run(
            [binary, "-S", "-n", "-c", "1", "-T", "5", target],  # noqa: S603
            check=True,
            capture_output=True,
            text=True,
        )
        found = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
        return float(found.group(1)) if found else None


@contextmanager
def uvicorn_server(app: str, ready_path: str) -> Iterator[str]:
    """`app` served by uvicorn (one process) on a free loopback port; yields its base URL."""
    import socket
    import subprocess

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(  # noqa: S603 (our own server, on loopback)
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={**os.environ, "PYTHONPATH": f"{backend}{os.pathsep}{backend / 'bench'}"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + ready_path).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def measure_over_a_socket(pgbench_ms: float | None) -> None:
    """The same endpoints through uvicorn on a real loopback socket (keep-alive client), the way
    a browser or API client meets them, next to the ceilings of DESIGN §7 measured in the same run:
    pgbench -S on the same server, and plain Flask with one pooled query on the same server setup."""
    import httpx

    def get(http: httpx.Client, path: str, headers: dict[str, str] | None = None) -> Callable[[], object]:
        def call() -> object:
            response = http.get(path, headers=headers)
            assert response.status_code == 200, response.text
            return response

        return call

    with uvicorn_server("ceiling:app", "/ceiling") as base, httpx.Client(base_url=base, timeout=10) as http:
        ceiling_p50, ceiling_p99 = measure(get(http, "/ceiling"))

    with (
        uvicorn_server("consumo.asgi:app", "/api/v1/health") as base,
        httpx.Client(base_url=f"{base}/api/v1", timeout=10) as http,
    ):
        token = http.post("/auth/login", json={"username": "bench", "password": "bench-password-1"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        print(
            f"\nOver a real socket (uvicorn, 1 process, loopback, keep-alive), {ROUNDS} rounds, with the "
            "ceilings of the same run:"
        )
        if pgbench_ms is not None:
            print(f"{'ceiling: pgbench -S (1 query)':32} {pgbench_ms:7.2f} ms average")
        print(f"{'ceiling: plain Flask + 1 query':32} {ceiling_p50:7.1f} / {ceiling_p99:6.1f} ms")
        print(f"{'request':32} {'p50 / p99 ms':>16} {'p50 ÷ plain Flask':>18}")
        for label, path in [
            ("GET /health (no DB)", "/health"),
            ("GET /user", "/user"),
            ("summary (36 months)", f"/kpis/summary?from={RANGE_FROM}&to={RANGE_TO}"),
            ("timeseries, month (36 buckets)", f"/kpis/timeseries?interval=month&from={RANGE_FROM}&to={RANGE_TO}"),
            ("breakdown (36 months)", f"/kpis/breakdown?from={RANGE_FROM}&to={RANGE_TO}"),
        ]:
            p50, p99 = measure(get(http, path, headers))
            print(f"{label:32} {p50:7.1f} / {p99:6.1f} {p50 / ceiling_p50:17.1f}x")


if __name__ == "__main__":
    sys.exit(main())
