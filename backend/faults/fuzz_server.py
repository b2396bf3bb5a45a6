"""`make fuzz`: the schemathesis CLI (`st run`) against a real server, longer than the
in-process run of `make test`.

Starts a throwaway PostgreSQL and the API (uvicorn, with response validation on) on a
free port, registers a user and fuzzes every operation with its bearer token, using
the settings of consumo/fuzz_config.py (backend/schemathesis.toml and the statuses each operation
documents, written to reports/schemathesis.toml). Operations that end the
caller's session (`change_password`, `delete_current_user`, `logout`) are fuzzed in runs of their
own, each with a fresh user, so they cannot cut the main run's credentials short; and
`get_metrics` in one with the scraper's static token, as in production.
JUnit reports and the server log go to reports/. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from consumo import fuzz_config
from servers import BACKEND_DIR, ApiServer, TempPostgres

ACCOUNT_ENDING = ("change_password", "delete_current_user", "logout")
METRICS = "get_metrics"  # its own static bearer token, not a user's
PASSWORD = "fuzz-passw0rd-long"


def login(api: ApiServer, username: str) -> str:
    with httpx.Client(base_url=api.base, timeout=10) as client:
        registered = client.post(
            "/auth/register", json={"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        logged_in = client.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        return str(logged_in.json()["access_token"])


def st_run(api: ApiServer, token: str, name: str, reports: Path, examples: int, selection: list[str]) -> int:
    # The settings with each operation's documented statuses (consumo/fuzz_config.py).
    config_file = reports / "schemathesis.toml"
    config_file.write_text(fuzz_config.as_toml(fuzz_config.settings()))
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config_file),
        "run",
        f"{api.base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        # Day patterns with `format: date` and required ranges make Hypothesis filter many
        # candidates; that is expected here (the in-process run suppresses it too).
        "--suppress-health-check",
        "filter_too_much",
        "--report",
        "junit",
        "--report-junit-path",
        str(reports / f"fuzz-{name}.xml"),
        *selection,
    ]
    print(
        f"\n=== st run ({name}): {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer ***' for c in command)}",
        flush=True,
    )
    started = time.monotonic()
    # The contract's own formats (faults/schemathesis_hooks.py), so valid values are generated.
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(BACKEND_DIR / "faults"), str(BACKEND_DIR), os.environ.get("PYTHONPATH")])
        ),
    }
    result = subprocess.run(command, cwd=BACKEND_DIR, check=False, env=env)
    print(f"=== {name}: exit {result.returncode} in {time.monotonic() - started:.0f}s", flush=True)
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=200, help="max examples per operation")
    parser.add_argument("--reports", type=Path, default=BACKEND_DIR.parent / "reports")
    args = parser.parse_args()
    args.reports.mkdir(parents=True, exist_ok=True)

    postgres = TempPostgres(Path(tempfile.mkdtemp(prefix="consumo-fuzz-pg-")))
    metrics_token = secrets.token_urlsafe(48)
    # Configured as in production: metrics enabled (with METRICS_TOKEN unset, GET /metrics is a 404).
    api = ApiServer(
        postgres.create_database(),
        args.reports / "fuzz-server.log",
        VALIDATE_RESPONSES="true",
        ACCESS_TOKEN_TTL_S="86400",
        LOG_LEVEL="WARNING",
        METRICS_TOKEN=metrics_token,
    )
    try:
        api.start()
        print(f"API on {api.base} (pid {api.pid}), PostgreSQL in {postgres.data_dir}", flush=True)
        exits = [
            st_run(
                api,
                login(api, "fuzzer"),
                "main",
                args.reports,
                args.examples,
                [arg for op in (*ACCOUNT_ENDING, METRICS) for arg in ("--exclude-operation-id", op)],
            )
        ]
        exits.append(
            st_run(
                api,
                metrics_token,
                METRICS,
                args.reports,
                args.examples,
                ["--include-operation-id", METRICS, "--phases", "examples,coverage,fuzzing"],
            )
        )
        for n, operation_id in enumerate(ACCOUNT_ENDING):
            exits.append(
                st_run(
                    api,
                    login(api, f"fuzzer{n}"),
                    operation_id,
                    args.reports,
                    args.examples,
                    ["--include-operation-id", operation_id, "--phases", "examples,coverage,fuzzing"],
                )
            )  # no links to follow alone
        alive = api.is_alive()
    finally:
        api.stop()
        postgres.close()
    if not alive:
        print("the API died during the run; see reports/fuzz-server.log", flush=True)
        return 1
    return 0 if all(code == 0 for code in exits) else 1


if __name__ == "__main__":
    sys.exit(main())
