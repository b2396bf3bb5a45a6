"""`make bench`: the API as production serves it, under a real load generator, against the
ceilings measured in the same run.

    make bench                    # 1,000,000-record user, 10 s per operation (about 10 minutes)
    BENCH_SCALE=0.05 make bench   # a quick version (50,000 records, 10-record small users)
    BENCH_SECONDS=5 make bench    # shorter measurements

What it does, on a throwaway database (its own embedded PostgreSQL, or a fresh database on
BENCH_DATABASE_URL's server, dropped at the end):
1. seeds the shape of a SaaS with one big and many small tenants: a 10,000-record user, a
   1,000,000-record user and 200 users of 1,000 records in tenants of their own, three years of
   data, loaded as a bulk import (set-based insert, roll-ups built in one statement);
2. starts the API the way production runs it (`consumo serve --production`, gunicorn with 2 uvicorn
   workers) and, with the same server settings, the ceiling: plain Flask doing exactly the API's
   SQL and nothing else (`ceiling.py`);
3. drives each with `wrk` (16 connections, keep-alive) and reads each server's CPU time from /proc
   before and after, so every operation gets rps, p50, p99 and server CPU per request;
4. runs the same SQL under pgbench (16 clients) for the database's own ceiling;
5. prints one table, each operation's ratio to its ceiling, and the targets met or missed.

All servers listen on 127.0.0.1 only and are stopped at the end. `wrk` comes from Debian's package
(installed when missing, like Chromium for the browser tests).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from ceiling import LIST_SQL
from pgtools import load_records, pgbench_binary, seeding_settings, server_dsn, throwaway_database

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = 2
LARGE_RECORDS = max(1000, int(1_000_000 * SCALE))
SMALL_RECORDS = max(100, int(10_000 * SCALE))
TENANTS = 200
TENANT_RECORDS = max(10, int(1_000 * SCALE))
RANGE_FROM, RANGE_TO = "2023-01-01", "2025-12-31"  # 36 months
PASSWORD = "bench-password-1"  # a throwaway user of a throwaway database
BACKEND = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


# --- servers and their CPU -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and its workers)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


@contextmanager
def server(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[int]:
    """Starts `command` (a server on 127.0.0.1), waits until `ready_url` answers 200, yields its pid."""
    import httpx

    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own server, on loopback)
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=BACKEND,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{command[0]} exited ({process.returncode}); see {log}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{ready_url} did not answer within 60 s; see {log}")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load ----------------------------------------------------------------------------------


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None  # server CPU per request
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing Debian's package", flush=True)
    # Debian's package manager, as `make frontend-e2e` does for Chromium.
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "wrk"],  # noqa: S607
        check=False,
        stdout=subprocess.DEVNULL,
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


LUA = """
local paths = {%(paths)s}
local bodies = {%(bodies)s}
local counter = 0
wrk.method = "%(method)s"
%(headers)s
request = function()
  counter = counter + 1
  local body = nil
  if #bodies > 0 then body = bodies[(counter %% #bodies) + 1] end
  return wrk.format(nil, paths[(counter %% #paths) + 1], nil, body)
end
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(
    base: str,
    paths: list[str],
    *,
    pid: int,
    method: str = "GET",
    bodies: list[str] | None = None,
    headers: dict[str, str] | None = None,
    connections: int = CONNECTIONS,
    seconds: int = SECONDS,
    warmup_s: int = 2,
) -> Result:
    """`wrk` against `base` cycling through `paths` (and `bodies`); CPU of the server tree `pid` over the run."""
    binary = ensure_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            LUA
            % {
                "paths": ", ".join(_lua_string(path) for path in paths),
                "method": method,
                "bodies": ", ".join(_lua_string(body) for body in bodies or []),
                "headers": "\n".join(
                    f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()
                ),
            }
        )

    def run_for(duration_s: int, *extra: str) -> subprocess.CompletedProcess[str]:
        command = [
            binary,
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{duration_s}s",
            *extra,
            "-s",
            script.name,
            base,
        ]
        return subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 (our wrk, loopback)

    try:
        if warmup_s:
            run_for(warmup_s)
        cpu_before = process_tree_cpu_s(pid)
        done = run_for(seconds, "--latency")
        cpu = process_tree_cpu_s(pid) - cpu_before
    finally:
        os.unlink(script.name)
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(part) for part in m.groups())
    return Result(
        rps=float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),  # type: ignore[union-attr]
        # The latency distribution's lines (not "90.50%" at the end of the Stdev line).
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)$", out, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)$", out, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        cpu_ms=cpu * 1000 / requests if requests else None,
        errors=errors,
    )


def pgbench(dsn: str, script_text: str, seconds: int = SECONDS) -> Result | None:
    """pgbench with a custom script (16 clients, 2 threads): the database's own ceiling."""
    binary = pgbench_binary()
    if binary is None:
        print("pgbench not found: no database ceiling")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(script_text)
    try:
        done = subprocess.run(  # noqa: S603 (pgbench on our own database)
            [
                binary,
                "-n",
                "-c",
                str(CONNECTIONS),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script.name,
                dsn,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(script.name)
    tps = float(re.search(r"tps = ([0-9.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([0-9.]+) ms", done.stdout).group(1))  # type: ignore[union-attr]
    return Result(rps=tps, p50_ms=latency, p99_ms=float("nan"), cpu_ms=None, errors=0)


# --- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchUser:
    username: str
    user_id: str
    tenant_id: str


def seed(owner_dsn: str) -> tuple[BenchUser, BenchUser, list[BenchUser]]:
    """Registers the users through the API (in process) and loads their records in bulk."""
    from alembic import command
    from alembic.config import Config

    from consumo.app import create_app
    from consumo.config import BACKEND_DIR

    command.upgrade(Config(str(BACKEND_DIR / "alembic.ini")), "head")
    client = create_app().test_client()

    def register(name: str) -> BenchUser:
        answer = client.post(
            "/api/v1/auth/register", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        )
        assert answer.status_code == 201, answer.text
        user = answer.json()
        return BenchUser(name, user["id"], user["tenant"]["id"])

    small, large = register("small"), register("large")
    tenants = [register(f"tenant{index:03d}") for index in range(TENANTS)]
    started = time.perf_counter()
    with psycopg.connect(owner_dsn) as conn:
        load_records(
            conn,
            [
                (user.tenant_id, user.user_id, records)
                for user, records in [(small, SMALL_RECORDS), (large, LARGE_RECORDS)]
                + [(t, TENANT_RECORDS) for t in tenants]
            ],
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    total = SMALL_RECORDS + LARGE_RECORDS + TENANTS * TENANT_RECORDS
    print(
        f"seeded {total:,} records ({LARGE_RECORDS:,} + {SMALL_RECORDS:,} + {TENANTS} × {TENANT_RECORDS:,}) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return small, large, tenants


def deep_cursor(owner_dsn: str, user: BenchUser) -> str:
    """The cursor of the page halfway through the large user's records."""
    from consumo.cursors import encode_cursor

    with psycopg.connect(owner_dsn) as conn:
        row = conn.execute(
            """
            SELECT period_start, id FROM consumption_records WHERE tenant_id = %s AND owner_id = %s
            ORDER BY period_start DESC, id DESC OFFSET %s LIMIT 1
        """,
            (user.tenant_id, user.user_id, LARGE_RECORDS // 2),
        ).fetchone()
    assert row is not None
    return encode_cursor({"s": "-period_start", "v": row[0].isoformat(), "id": str(row[1])})


def record_ids(owner_dsn: str, user: BenchUser, count: int = 200) -> list[str]:
    with psycopg.connect(owner_dsn) as conn:
        rows = conn.execute(
            "SELECT id FROM consumption_records WHERE tenant_id = %s AND owner_id = %s LIMIT %s",
            (user.tenant_id, user.user_id, count),
        ).fetchall()
    return [str(row[0]) for row in rows]


# --- the run ---------------------------------------------------------------------------------


def main() -> int:
    ensure_wrk()
    with throwaway_database(server_dsn(), "consumo_bench") as owner_dsn:
        os.environ.update(seeding_settings(owner_dsn), REGISTER_RATE_LIMIT="100000/minute")
        small, large, tenants = seed(owner_dsn)
        from consumo.db import app_engine, database_urls

        app_dsn = database_urls().app.set(drivername="postgresql").render_as_string(hide_password=False)
        app_engine().dispose()
        return run(owner_dsn, app_dsn, small, large, tenants)


def run(owner_dsn: str, app_dsn: str, small: BenchUser, large: BenchUser, tenants: list[BenchUser]) -> int:
    import httpx

    logs = Path(tempfile.mkdtemp(prefix="consumo-bench-logs-"))
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "INFO",
        "DB_STATEMENT_TIMEOUT_MS": "5000",
        "PYTHONPATH": f"{BACKEND}{os.pathsep}{BACKEND / 'bench'}",
        "LOGIN_RATE_LIMIT": "1000/minute",
        "WEB_CONCURRENCY": str(WORKERS),
        "WEBHOOK_SECRET_KEYS": Fernet.generate_key().decode(),  # required in production; no webhook is used
    }
    env.pop("REDIS_URL", None)
    api_port, ceiling_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    ceiling = f"http://127.0.0.1:{ceiling_port}"
    rows: list[tuple[str, Result, str, Result | None]] = []
    cursor = deep_cursor(owner_dsn, large)
    small_ids = record_ids(owner_dsn, small)
    # Creates spread over kinds and days, as many users' creates are: the same day and kind for
    # every request would queue them all on one roll-up row.
    created = [
        f'{{"kind":"{kind}","quantity":12.5,"period_start":"{day}","period_end":"{day}",'
        f'"cost_minor":1250,"currency":"EUR","notes":"bench"}}'
        for kind in ("electricity", "water", "gas")
        for day in (date(2024, 1, 1) + timedelta(days=offset) for offset in range(0, 700, 7))
    ]
    json_headers = {"Content-Type": "application/json"}
    kpi = f"from={RANGE_FROM}&to={RANGE_TO}"

    ceiling_command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "consumo.server.QuietUvicornWorker",
        "--keep-alive",
        "65",
        "--bind",
        f"127.0.0.1:{ceiling_port}",
        "ceiling:app",
    ]
    ceilings: dict[str, Result] = {}
    with server(ceiling_command, env, f"{ceiling}/ceiling/health", logs / "ceiling.log") as pid:
        ceilings["health"] = wrk(ceiling, ["/ceiling/health"], pid=pid)
        for user in (small, large):
            ceilings[f"list {user.username}"] = wrk(
                ceiling, [f"/ceiling/list?tenant={user.tenant_id}&owner={user.user_id}"], pid=pid
            )
        # Creates go to a user of their own (one of the small tenants), so the reads measured later
        # meet the seeded data as it was.
        writer = tenants[0]
        ceilings["create"] = wrk(
            ceiling,
            [f"/ceiling/create?tenant={writer.tenant_id}&owner={writer.user_id}"],
            pid=pid,
            method="POST",
            bodies=created,
            headers=json_headers,
        )
        ceilings["list small, 1 connection"] = wrk(
            ceiling, [f"/ceiling/list?tenant={small.tenant_id}&owner={small.user_id}"], pid=pid, connections=1
        )
    print("ceilings measured", flush=True)

    api_command = [
        sys.executable,
        "-m",
        "consumo.cli",
        "serve",
        "--production",
        "--no-migrate",
        "--host",
        "127.0.0.1",
        "--port",
        str(api_port),
        "--workers",
        str(WORKERS),
    ]
    with server(api_command, env, f"{api}/api/v1/health", logs / "api.log") as pid:

        def bearer(user: BenchUser) -> dict[str, str]:
            login = httpx.post(f"{api}/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
            assert login.status_code == 200, login.text
            return {"Authorization": f"Bearer {login.json()['access_token']}"}

        def measure(label: str, paths: list[str], user: BenchUser | None, ceiling_key: str, **options: object) -> None:
            headers = {**(bearer(user) if user else {}), **options.pop("headers", {})}  # type: ignore[dict-item]
            result = wrk(api, paths, pid=pid, headers=headers, **options)  # type: ignore[arg-type]
            rows.append((label, result, ceiling_key, ceilings.get(ceiling_key)))
            print(f"  {label}: {result.rps:.0f} rps", flush=True)

        v1 = "/api/v1"
        measure("health", [f"{v1}/health"], None, "health")
        measure(f"list page 1, {SMALL_RECORDS:,}-record user", [f"{v1}/consumptions"], small, f"list {small.username}")
        measure(f"list page 1, {LARGE_RECORDS:,}-record user", [f"{v1}/consumptions"], large, f"list {large.username}")
        measure(
            "list, a page halfway down the large user",
            [f"{v1}/consumptions?cursor={cursor}"],
            large,
            f"list {large.username}",
        )
        measure("get one record", [f"{v1}/consumptions/{i}" for i in small_ids], small, "")
        for user in (small, large):
            measure(f"KPI summary, 36 months, {user.username}", [f"{v1}/kpis/summary?{kpi}"], user, "")
            measure(
                f"KPI timeseries, 36 months, {user.username}", [f"{v1}/kpis/timeseries?interval=month&{kpi}"], user, ""
            )
        measure(
            "list page 1, small user, 1 connection",
            [f"{v1}/consumptions"],
            small,
            "list small, 1 connection",
            connections=1,
        )
        for user in (small, large):
            measure(
                f"KPI summary, {user.username}, 1 connection", [f"{v1}/kpis/summary?{kpi}"], user, "", connections=1
            )
            measure(
                f"KPI timeseries, {user.username}, 1 connection",
                [f"{v1}/kpis/timeseries?interval=month&{kpi}"],
                user,
                "",
                connections=1,
            )
        # Writes last: their roll-up updates would otherwise leave dead rows under the KPI reads.
        measure(
            "create a record",
            [f"{v1}/consumptions"],
            writer,
            "create",
            method="POST",
            bodies=created,
            headers=json_headers,
        )
        measure(
            "patch a record (If-Match: *)",
            [f"{v1}/consumptions/{i}" for i in small_ids],
            small,
            "",
            method="PATCH",
            bodies=['{"notes":"patched by the bench"}'],
            headers={**json_headers, "If-Match": "*"},
        )

    pg_list, pg_insert = database_ceilings(app_dsn, small, tenants[0])
    report(rows, pg_list, pg_insert)
    print(f"\nserver logs: {logs}")
    return 0


def database_ceilings(app_dsn: str, reader: BenchUser, writer: BenchUser) -> tuple[Result | None, Result | None]:
    """pgbench of the list page's SQL (as `reader`) and of the create's INSERT (as `writer`)."""
    # The ceiling's own statement (with each record's overlaps), on one line for pgbench.
    page_sql = " ".join(str(LIST_SQL).split()).replace(":tenant", f"'{reader.tenant_id}'")
    list_sql = (
        f"BEGIN;\nSELECT set_config('app.tenant_id', '{reader.tenant_id}', true);\n"
        f"{page_sql.replace(':owner', repr(reader.user_id))};\nCOMMIT;\n"
    )
    insert_sql = (
        "\\set day random(0, 700)\nBEGIN;\n"
        f"SELECT set_config('app.tenant_id', '{writer.tenant_id}', true);\n"
        "INSERT INTO consumption_records (tenant_id, id, owner_id, kind, quantity, period_start, "
        "period_end, cost_minor, currency, notes, source, version, created_by, updated_by) VALUES "
        f"('{writer.tenant_id}', gen_random_uuid(), '{writer.user_id}', 'electricity', 12.5, "
        "date '2024-01-01' + :day, date '2024-01-01' + :day, 1250, 'EUR', 'bench', 'manual', 1, "
        f"'{writer.user_id}', '{writer.user_id}');\n"
        "COMMIT;\n"
    )
    return pgbench(app_dsn, list_sql), pgbench(app_dsn, insert_sql)


def report(
    rows: list[tuple[str, Result, str, Result | None]], pg_list: Result | None, pg_insert: Result | None
) -> None:
    print(
        f"\nConsumo (`serve --production`, {WORKERS} workers) vs plain Flask on the same server settings and SQL; "
        f"wrk {CONNECTIONS} connections unless said, {SECONDS} s each; CPU = API server CPU per request."
    )
    header = (
        f"{'operation':44} {'rps':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} {'CPU ms':>7} "
        f"{'ceiling rps':>11} {'rps ×':>6} {'CPU ×':>6} {'errors':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, result, _key, ceiling in rows:
        ratio = f"{result.rps / ceiling.rps:6.2f}" if ceiling else f"{'':6}"
        cpu_ratio = (
            f"{result.cpu_ms / ceiling.cpu_ms:6.2f}" if ceiling and result.cpu_ms and ceiling.cpu_ms else f"{'':6}"
        )
        ceiling_rps = f"{ceiling.rps:11.0f}" if ceiling else f"{'':11}"
        cpu = f"{result.cpu_ms:7.2f}" if result.cpu_ms is not None else f"{'':7}"
        print(
            f"{label:44} {result.rps:7.0f} {result.p50_ms:7.2f} {result.p99_ms:7.2f} "
            f"{result.p99_ms / result.p50_ms:7.1f} {cpu} {ceiling_rps} {ratio} {cpu_ratio} {result.errors:6}"
        )
    for name, result in (("pgbench: the list page's SQL", pg_list), ("pgbench: the create's INSERT", pg_insert)):
        if result:
            print(f"{name:44} {result.rps:7.0f} {result.p50_ms:7.2f} (average latency, {CONNECTIONS} clients)")

    print("\nTargets (issue: the per-request floor):")
    by_label = {label: (result, ceiling) for label, result, _key, ceiling in rows}

    def check(text: str, ok: bool, figure: str) -> None:
        print(f"  [{'met' if ok else 'MISSED'}] {text}: {figure}")

    for label in [label for label in by_label if label.startswith("list page 1") and "connection" not in label]:
        result, ceiling = by_label[label]
        assert ceiling is not None
        check(f"{label}: rps ≥ 0.8× ceiling", result.rps >= 0.8 * ceiling.rps, f"{result.rps / ceiling.rps:.2f}×")
        if result.cpu_ms and ceiling.cpu_ms:
            check(
                f"{label}: CPU ≤ 1.5× ceiling",
                result.cpu_ms <= 1.5 * ceiling.cpu_ms,
                f"{result.cpu_ms / ceiling.cpu_ms:.2f}×",
            )
    create, create_ceiling = by_label["create a record"]
    assert create_ceiling is not None
    check(
        "create: rps ≥ 0.8× plain Flask's insert",
        create.rps >= 0.8 * create_ceiling.rps,
        f"{create.rps / create_ceiling.rps:.2f}×",
    )
    for label in [label for label in by_label if label.startswith("KPI") and "large, 1 connection" in label]:
        result, _ = by_label[label]
        check(f"{label}: p99 ≤ 5 ms", result.p99_ms <= 5, f"{result.p99_ms:.2f} ms")
    worst = max(by_label.items(), key=lambda item: item[1][0].p99_ms / item[1][0].p50_ms)
    ratio = worst[1][0].p99_ms / worst[1][0].p50_ms
    check("p99 ≤ 2.5× p50 for every operation", ratio <= 2.5, f"worst {ratio:.1f}× ({worst[0]})")
    errors = sum(result.errors for result, _ in by_label.values())
    check("no error answers under load", errors == 0, f"{errors}")


if __name__ == "__main__":
    sys.exit(main())
